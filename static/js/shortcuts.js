// Keyboard shortcuts for any page. An element declares its key with data-shortcut="a" (and aria-keyshortcuts,
// which qms.forms.shortcut sets on a form field): pressing the key outside a text field focuses a field, or clicks
// a button or link. "?" opens the list of this page's shortcuts (the dialog in templates/partials/_shortcuts.html,
// whose words the server translates); Ctrl+Enter or Cmd+Enter inside a form submits it; Escape leaves a field.
// Without JavaScript every shortcut's target is an ordinary field, button or link.
(function () {
  "use strict";

  function typing(element) {
    if (!element || element === document.body) return false;
    var tag = element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
  }

  function visible(element) {
    return !!(element.offsetWidth || element.offsetHeight || element.getClientRects().length);
  }

  function targets() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-shortcut]")).filter(visible);
  }

  function describe(element) {
    if (element.dataset.shortcutLabel) return element.dataset.shortcutLabel;
    if (element.id) {
      var label = document.querySelector('label[for="' + element.id + '"]');
      if (label) return label.textContent.trim();
    }
    return (element.getAttribute("aria-label") || element.textContent || "").trim();
  }

  function showHelp() {
    var dialog = document.getElementById("shortcuts-dialog");
    if (!dialog) return;
    var list = dialog.querySelector("[data-shortcut-list]");
    list.textContent = "";
    targets().forEach(function (element) {
      var term = document.createElement("dt");
      var key = document.createElement("kbd");
      key.textContent = element.dataset.shortcut;
      term.appendChild(key);
      var description = document.createElement("dd");
      description.textContent = describe(element);
      list.appendChild(term);
      list.appendChild(description);
    });
    dialog.showModal();
  }

  document.addEventListener("keydown", function (event) {
    var active = document.activeElement;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && active && active.form) {
      event.preventDefault();
      active.form.requestSubmit();
      return;
    }
    if (event.key === "Escape" && typing(active)) {
      active.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(active)) return;
    if (document.querySelector("dialog[open]")) return;
    if (event.key === "?") {
      event.preventDefault();
      showHelp();
      return;
    }
    var target = targets().filter(function (element) { return element.dataset.shortcut === event.key; })[0];
    if (!target) return;
    event.preventDefault();
    if (typing(target)) target.focus();
    else target.click();
  });

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-shortcuts-help]");
    if (opener) showHelp();
  });
})();
