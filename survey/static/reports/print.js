// "Print this page" buttons: an external file, so the CSP needs no inline script.
document.querySelectorAll("[data-print-page]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
