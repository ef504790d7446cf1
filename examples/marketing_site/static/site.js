/* Callwise demo site: first-party behaviour (menu, billing toggle). No tracking here. */
(function () {
  "use strict";

  function setUpMenu() {
    var toggle = document.querySelector(".nav-toggle");
    var nav = document.getElementById("site-nav");
    if (!toggle || !nav) return;
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("is-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  function setUpBilling() {
    var buttons = document.querySelectorAll("[data-billing]");
    if (!buttons.length) return;
    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        var period = button.getAttribute("data-billing");
        buttons.forEach(function (other) {
          var active = other === button;
          other.classList.toggle("is-active", active);
          other.setAttribute("aria-pressed", active ? "true" : "false");
        });
        document.querySelectorAll(".price [data-" + period + "]").forEach(function (price) {
          price.textContent = price.getAttribute("data-" + period);
        });
      });
    });
  }

  document.documentElement.classList.add("js");
  setUpMenu();
  setUpBilling();
})();
