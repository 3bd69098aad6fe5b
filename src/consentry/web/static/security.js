// The recovery codes page's "Print" button (templates/account_security_codes.html); no inline script (CSP).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
