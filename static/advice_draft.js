/* The draft advice page, smoother with JavaScript; it works without it.
   - "Add a line" / "Add an action" add a blank row in place (the server offers one blank row of
     each without JavaScript, and another after each save);
   - a row marked for removal is shown struck through until the draft is saved;
   - leaving the page with changes that are not saved asks first.
   No inline scripts or styles (strict CSP): texts come from data-* attributes. */
(function () {
  "use strict";
  var form = document.querySelector("form.draft-form");
  if (!form) { return; }

  var dirty = false;
  function changed() { dirty = true; }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) { return undefined; }
    event.preventDefault();
    event.returnValue = form.dataset.unsavedWarning || "";
    return event.returnValue;
  });

  Array.prototype.forEach.call(form.querySelectorAll("tr.removable input[type=checkbox]"), function (box) {
    var row = box.closest("tr");
    function mark() { row.classList.toggle("is-removed", box.checked); }
    box.addEventListener("change", mark);
    mark();
  });

  var ATTRS = ["name", "id", "for", "aria-describedby"];
  Array.prototype.forEach.call(form.querySelectorAll("button.add-row"), function (button) {
    var kind = button.dataset.add;
    var box = form.querySelector('[data-rows="' + kind + '"]');
    var max = parseInt(button.dataset.max || "20", 10);
    var pattern = new RegExp("^" + kind + "-\\d+-");
    button.hidden = false;
    button.addEventListener("click", function () {
      var sets = box.querySelectorAll("fieldset.row-set");
      if (!sets.length || sets.length >= max) { return; }
      var last = sets[sets.length - 1];
      var clone = last.cloneNode(true);
      var prefix = kind + "-" + sets.length + "-";
      Array.prototype.forEach.call(clone.querySelectorAll("*"), function (el) {
        ATTRS.forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) {
            el.setAttribute(attr, value.split(" ").map(function (part) { return part.replace(pattern, prefix); }).join(" "));
          }
        });
        if (el.tagName === "INPUT" || el.tagName === "TEXTAREA") { el.value = ""; }
        if (el.tagName === "SELECT") { el.selectedIndex = 0; }
        el.removeAttribute("aria-invalid");
      });
      Array.prototype.forEach.call(clone.querySelectorAll(".field-error"), function (el) { el.remove(); });
      Array.prototype.forEach.call(clone.querySelectorAll(".has-error"), function (el) { el.classList.remove("has-error"); });
      last.parentNode.insertBefore(clone, last.nextSibling);
      button.disabled = sets.length + 1 >= max;
      var first = clone.querySelector("select, input, textarea");
      if (first) { first.focus(); }
      changed();
    });
  });
})();
