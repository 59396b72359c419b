/* Meeting conveniences; every page works without them.
   - autosave of the notes while typing (a refused, stale save shows the other text; nothing is overwritten)
   - the slot timer
   - the experts' read-only agenda refreshing itself
   - the print button of the minutes
   No inline scripts or styles: texts come from data-* attributes, visibility from classes. */
(function () {
  "use strict";

  function autosave(form) {
    var textarea = form.querySelector("textarea[name=notes]");
    var version = form.querySelector("input[name=notes_version]");
    var status = form.querySelector(".notes-status");
    var conflictBox = form.querySelector(".notes-conflict");
    var otherText = form.querySelector(".other-text");
    if (!textarea || !version || !status) { return; }
    var timer = null;
    var saving = false;
    var again = false;
    var paused = conflictBox && !conflictBox.classList.contains("is-hidden");
    var lastSaved = textarea.value;

    function say(message) { status.textContent = message || ""; }

    function save() {
      if (paused || textarea.value === lastSaved) { return; }
      if (saving) { again = true; return; }
      saving = true;
      var sent = textarea.value;
      say(form.dataset.msgSaving);
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "Accept": "application/json" },
        credentials: "same-origin"
      }).then(function (response) {
        return response.json().then(function (data) { return { status: response.status, data: data }; });
      }).then(function (result) {
        var data = result.data || {};
        if (result.status === 200 && data.status === "saved") {
          version.value = data.notes_version;
          lastSaved = sent;
          say(form.dataset.msgSaved);
        } else if (result.status === 409 && data.status === "conflict") {
          // Keep my text; show theirs; the next save is deliberate and based on their version.
          paused = true;
          version.value = data.notes_version;
          if (otherText) { otherText.textContent = data.notes; }
          if (conflictBox) { conflictBox.classList.remove("is-hidden"); }
          say(form.dataset.msgConflict);
        } else {
          say(data.message || form.dataset.msgError);
        }
      }).catch(function () {
        say(form.dataset.msgError);
      }).then(function () {
        saving = false;
        if (again) { again = false; save(); }
      });
    }

    textarea.addEventListener("input", function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(save, 1500);
    });
    textarea.addEventListener("blur", save);
    form.addEventListener("submit", function (event) {
      // The save button is a deliberate save: also after a conflict (the version is now current).
      event.preventDefault();
      paused = false;
      lastSaved = null;
      save();
    });
  }

  function slotTimer(el) {
    var end = Date.parse(el.dataset.slotEnd);
    var value = el.querySelector(".timer-value");
    if (!value || isNaN(end)) { return; }
    function tick() {
      var minutes = Math.round((end - Date.now()) / 60000);
      if (minutes >= 0) {
        value.textContent = minutes + " " + el.dataset.labelLeft;
        el.classList.remove("timer-over");
      } else {
        value.textContent = (-minutes) + " " + el.dataset.labelOver;
        el.classList.add("timer-over");
      }
    }
    tick();
    setInterval(tick, 15000);
  }

  function follow(el) {
    var url = el.dataset.refreshUrl;
    setInterval(function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) { if (html !== null) { el.innerHTML = html; } })
        .catch(function () { /* try again next time */ });
    }, 20000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-autosave]"), autosave);
    Array.prototype.forEach.call(document.querySelectorAll(".timer[data-slot-end]"), slotTimer);
    Array.prototype.forEach.call(document.querySelectorAll("[data-refresh-url]"), follow);
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
      button.classList.remove("is-hidden");
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
