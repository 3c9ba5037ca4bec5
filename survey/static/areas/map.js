// Draws the choropleth from the page's JSON data island with the vendored
// Leaflet: no tiles, nothing fetched. Tooltips are set as text, never HTML.
(function () {
  "use strict";
  var holder = document.getElementById("app-map");
  var source = document.getElementById("app-map-data");
  if (!holder || !source || !window.L) { return; }
  var data = JSON.parse(source.textContent);
  var features = data.areas.features;
  if (!features.length) { return; }

  // Suppressed areas are filled with the hatch pattern the page holds (#app-hatch, map.css).
  holder.textContent = "";
  var map = L.map(holder, { attributionControl: false, zoomSnap: 0.25 });
  var layer = L.geoJSON(data.areas, {
    style: function (feature) {
      var p = feature.properties;
      var css = data.style["class"];
      var style = { fillColor: p.fill, className: css + " " + css + "--" + p.state };
      Object.keys(data.style.area).forEach(function (key) { style[key] = data.style.area[key]; });
      return style;
    },
    onEachFeature: function (feature, shape) {
      var tip = document.createElement("span");
      tip.textContent = feature.properties.tip;
      shape.bindTooltip(tip, { sticky: true });
      shape.on("mouseover", function () { shape.setStyle(data.style.highlight); });
      shape.on("mouseout", function () { layer.resetStyle(shape); });
      if (feature.properties.url) {
        shape.on("click", function () { window.location.href = feature.properties.url; });
      }
    }
  }).addTo(map);
  map.fitBounds(layer.getBounds(), { padding: [8, 8] });

  // Points over the areas, each with its tooltip as text; the holder says how many were drawn.
  function drawPoints(sourceId, fill, radius, className, drawnAttribute) {
    var source = document.getElementById(sourceId);
    if (!source) { return; }
    var points = JSON.parse(source.textContent);
    L.geoJSON(points, {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, {
          radius: radius, weight: 1, color: "#ffffff", fillColor: fill, fillOpacity: 1,
          className: className
        });
      },
      onEachFeature: function (feature, marker) {
        var tip = document.createElement("span");
        tip.textContent = feature.properties.tip;
        marker.bindTooltip(tip);
      }
    }).addTo(map);
    holder.setAttribute(drawnAttribute, String(points.features.length));
  }
  // GP practices over the PCN layer (public places).
  drawPoints("app-map-points", "#0b0c0c", 4, "app-map__practice", "data-practices-drawn");
  // Listed groups' public venues: only what their directory listings already publish.
  drawPoints("app-map-venues", "#00703c", 5, "app-map__venue", "data-venues-drawn");
  holder.setAttribute("data-areas-drawn", String(features.length));
})();
