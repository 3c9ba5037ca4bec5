// Marks the page as able to run GOV.UK Frontend's scripts, then starts them.
// Loaded as a module-capable external file so the CSP needs no inline script.
document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("govuk-frontend-supported");
}
