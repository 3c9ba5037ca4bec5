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

  // The hatch pattern suppressed areas are filled with (see map.css).
  var svgNS = "http://www.w3.org/2000/svg";
  var defs = document.createElementNS(svgNS, "svg");
  defs.setAttribute("width", "0");
  defs.setAttribute("height", "0");
  defs.setAttribute("aria-hidden", "true");
  defs.setAttribute("focusable", "false");
  defs.style.position = "absolute";
  defs.innerHTML = '<defs><pattern id="app-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' +
    '<rect width="6" height="6" fill="#b1b4b6"></rect><line x1="0" y1="0" x2="0" y2="6" stroke="#505a5f" stroke-width="2"></line></pattern></defs>';
  document.body.appendChild(defs);

  holder.textContent = "";
  var map = L.map(holder, { attributionControl: false, zoomSnap: 0.25 });
  var layer = L.geoJSON(data.areas, {
    style: function (feature) {
      var p = feature.properties;
      return {
        fillColor: p.fill,
        fillOpacity: 0.85,
        color: "#505a5f",
        weight: 0.8,
        className: "app-map__area app-map__area--" + p.state
      };
    },
    onEachFeature: function (feature, shape) {
      var tip = document.createElement("span");
      tip.textContent = feature.properties.tip;
      shape.bindTooltip(tip, { sticky: true });
      shape.on("mouseover", function () { shape.setStyle({ weight: 3, color: "#0b0c0c" }); });
      shape.on("mouseout", function () { layer.resetStyle(shape); });
      if (feature.properties.url) {
        shape.on("click", function () { window.location.href = feature.properties.url; });
      }
    }
  }).addTo(map);
  map.fitBounds(layer.getBounds(), { padding: [8, 8] });

  // GP practices over the PCN layer (public places; groups are never drawn as points).
  var pointSource = document.getElementById("app-map-points");
  if (pointSource) {
    var points = JSON.parse(pointSource.textContent);
    L.geoJSON(points, {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, {
          radius: 4, weight: 1, color: "#ffffff", fillColor: "#0b0c0c", fillOpacity: 1,
          className: "app-map__practice"
        });
      },
      onEachFeature: function (feature, marker) {
        var tip = document.createElement("span");
        tip.textContent = feature.properties.tip;
        marker.bindTooltip(tip);
      }
    }).addTo(map);
    holder.setAttribute("data-practices-drawn", String(points.features.length));
  }
  holder.setAttribute("data-areas-drawn", String(features.length));
})();
