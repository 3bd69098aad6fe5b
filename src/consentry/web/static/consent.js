// "Select all" on the consent screen. Without this script the control stays hidden and every
// scope is ticked one by one; the script never ticks anything by itself and never submits.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-select-all]").forEach(function (all) {
    var form = all.form;
    var wrap = all.closest("[data-select-all-wrap]");
    if (!form || !wrap) return;
    var boxes = Array.prototype.slice.call(form.querySelectorAll('input[type="checkbox"][name="scope"]'));
    if (boxes.length < 2) return;
    function sync() {
      var ticked = boxes.filter(function (b) { return b.checked; }).length;
      all.checked = ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    all.addEventListener("change", function () {
      boxes.forEach(function (b) { b.checked = all.checked; });
      sync();
    });
    boxes.forEach(function (b) { b.addEventListener("change", sync); });
    sync();
    wrap.hidden = false;
  });
});
