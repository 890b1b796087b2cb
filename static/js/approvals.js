/* The approvals inbox: keyboard (j/k/a/r/x), the reject dialog, selection for bulk decisions,
   and the rows a bulk decision's panel asks to update. No inline script: the page's CSP forbids it.
   Everything here is an enhancement: without JavaScript every action is a plain form or page. */
(function () {
  "use strict";

  var dialog = null;
  var dialogState = null; // {mode: "row"|"bulk", rowId, opener}

  function inbox() {
    return document.getElementById("approval-inbox");
  }

  function rows() {
    var root = inbox() || document;
    return Array.prototype.slice.call(root.querySelectorAll("tr[data-row]"));
  }

  function currentRow() {
    var active = document.activeElement;
    var row = active && active.closest ? active.closest("tr[data-row]") : null;
    if (row) return row;
    return rows().filter(function (r) { return r.getAttribute("tabindex") === "0"; })[0] || null;
  }

  /* Roving focus: one row in the tab order, the one last focused. */
  function rove(row, focus) {
    rows().forEach(function (r) { r.setAttribute("tabindex", r === row ? "0" : "-1"); });
    if (row && focus) {
      row.focus();
      row.scrollIntoView({block: "nearest"});
    }
  }

  function initRows() {
    var all = rows();
    if (!all.length) return;
    var keep = all.filter(function (r) { return r.getAttribute("tabindex") === "0"; })[0];
    rove(keep || all[0], false);
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var active = document.activeElement;
    var inRow = active && active.closest ? active.closest("tr[data-row]") : null;
    var row = currentRow();
    var index = row ? all.indexOf(row) : -1;
    if (!inRow || index === -1) {
      rove(row || all[0], true); // the first key press lands on the current row
      return;
    }
    rove(all[Math.min(all.length - 1, Math.max(0, index + step))], true);
  }

  function typing(target) {
    if (!target || !target.closest) return false;
    return !!target.closest("input, textarea, select, [contenteditable], [contenteditable='true']");
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target) || (dialog && dialog.open)) return;
    if (!inbox() && !document.querySelector("tr[data-row]")) return;
    var row;
    switch (event.key) {
      case "j":
        move(1);
        break;
      case "k":
        move(-1);
        break;
      case "a":
        row = currentRow();
        var approve = row && row.querySelector("[data-approve]");
        if (!approve) return;
        rove(row, true);
        approve.click();
        break;
      case "r":
        row = currentRow();
        var reject = row && row.querySelector("[data-reject]");
        if (!reject) return;
        rove(row, false);
        reject.click();
        break;
      case "x":
        row = currentRow();
        var box = row && row.querySelector("[data-select]");
        if (!box) return;
        box.checked = !box.checked;
        box.dispatchEvent(new Event("change", {bubbles: true}));
        rove(row, true);
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  document.addEventListener("focusin", function (event) {
    var row = event.target.closest ? event.target.closest("tr[data-row]") : null;
    if (row) rove(row, false);
  });

  /* --- Selection -------------------------------------------------------------------------- */

  function boxes() {
    var root = inbox() || document;
    return Array.prototype.slice.call(root.querySelectorAll("input[data-select]"));
  }

  function showSelection() {
    var root = inbox();
    if (!root) return;
    var chosen = boxes().filter(function (b) { return b.checked; }).length;
    var matching = root.querySelector("[data-select-matching]");
    var all = root.querySelector("[data-select-page]");
    var count = root.querySelector("[data-selected-count]");
    if (all) {
      var total = boxes().length;
      all.checked = total > 0 && chosen === total;
      all.indeterminate = chosen > 0 && chosen < total;
    }
    if (count) {
      if (matching && matching.checked) count.textContent = "every match chosen";
      else count.textContent = chosen ? chosen + " selected" : "";
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-select-page]")) {
      boxes().forEach(function (b) { b.checked = target.checked; });
    }
    if (target.matches("[data-select], [data-select-page], [data-select-matching]")) showSelection();
  });

  function selectionEmpty(form) {
    var matching = form.querySelector("[data-select-matching]");
    return !(matching && matching.checked) && !boxes().some(function (b) { return b.checked; });
  }

  /* --- The reject dialog ------------------------------------------------------------------- */

  function errorsBox() {
    return document.getElementById("reject-errors");
  }

  function openDialog(state, what, action) {
    dialog = document.getElementById("reject-dialog");
    if (!dialog || typeof dialog.showModal !== "function") return false;
    var form = dialog.querySelector("form");
    dialogState = state;
    form.setAttribute("action", action);
    dialog.querySelector("[data-reject-what]").textContent = what;
    errorsBox().textContent = "";
    form.querySelector("textarea").value = "";
    dialog.showModal();
    form.querySelector("textarea").focus();
    return true;
  }

  function focusNewestPanel() {
    var panel = document.querySelector("#bulk-panels .bulk-panel");
    if (panel) panel.focus();
    return !!panel;
  }

  function returnFocus() {
    var state = dialogState;
    dialogState = null;
    if (!state) return;
    if (state.mode === "bulk" && state.started && focusNewestPanel()) return;
    if (state.opener && document.body.contains(state.opener)) {
      state.opener.focus();
      return;
    }
    var row = state.rowId && document.getElementById(state.rowId);
    if (row) {
      rove(row, true);
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-reject]") : null;
    if (link) {
      var opened = openDialog(
        {mode: "row", rowId: link.getAttribute("data-row-id"), opener: link},
        link.getAttribute("data-reject-what"),
        link.getAttribute("data-reject")
      );
      if (opened) event.preventDefault();
      return;
    }
    var bulk = event.target.closest ? event.target.closest("[data-bulk-reject]") : null;
    if (bulk) {
      var form = bulk.form;
      var problems = document.getElementById("bulk-errors");
      if (selectionEmpty(form)) {
        event.preventDefault();
        if (problems) problems.textContent = "Choose the items to reject first.";
        return;
      }
      if (problems) problems.textContent = "";
      var chosen = boxes().filter(function (b) { return b.checked; }).length;
      var matching = form.querySelector("[data-select-matching]");
      var what = matching && matching.checked ? "every match of the filter" : chosen + " selected";
      if (openDialog({mode: "bulk", opener: bulk, form: form}, what, form.getAttribute("action"))) {
        event.preventDefault();
      }
      return;
    }
    if (event.target.closest && event.target.closest("[data-dialog-close]")) {
      event.preventDefault();
      dialog.close();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("[data-bulk-form]")) {
      var problems = document.getElementById("bulk-errors");
      if (selectionEmpty(form)) {
        event.preventDefault();
        event.stopPropagation();
        if (problems) problems.textContent = "Choose the items to decide first.";
      } else if (problems) {
        problems.textContent = "";
      }
      return;
    }
    if (!form.matches("[data-reject-form]") || !dialogState || typeof htmx === "undefined") return;
    event.preventDefault();
    var reason = form.querySelector("textarea").value;
    var errors = errorsBox();
    errors.textContent = "";
    var request;
    if (dialogState.mode === "bulk") {
      request = htmx.ajax("POST", dialogState.form.getAttribute("action"), {
        source: dialogState.form,
        values: {verb: "reject", reason: reason},
        target: "#bulk-panels",
        swap: "afterbegin"
      });
    } else {
      request = htmx.ajax("POST", form.getAttribute("action"), {
        source: form,
        target: "#" + CSS.escape(dialogState.rowId),
        swap: "outerHTML"
      });
    }
    var state = dialogState;
    request.then(function () {
      if (state.mode === "bulk") {
        var problems = document.getElementById("bulk-errors");
        if (problems && problems.textContent.trim()) {
          errors.textContent = problems.textContent;
          problems.textContent = "";
        } else {
          state.started = true;
        }
      }
      if (errors.textContent.trim()) {
        form.querySelector("textarea").focus();
      } else if (dialog.open) {
        dialog.close();
      }
    });
  }, true); // capture: before htmx's own listener on the bulk form

  document.addEventListener("close", function (event) {
    if (event.target.id === "reject-dialog") returnFocus();
  }, true);

  /* --- htmx: rows swapped in place, and the bulk panels' polls ----------------------------- */

  var focusedRowId = null;

  /* A row swapped while the focus was in it (its Approve button, say) keeps the focus: the
     keyboard stays where the manager was. Other swaps (the tabs' counts) leave it alone. */
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var active = document.activeElement;
    if (target && target.matches && target.matches("tr[data-row]") && (target === active || target.contains(active))) {
      focusedRowId = target.id;
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    var row = focusedRowId && document.getElementById(focusedRowId);
    if (row && row.isConnected) {
      focusedRowId = null;
      if (!dialog || !dialog.open) rove(row, true);
    }
    initRows();
    showSelection();
    revealJsOnly();
  });

  /* A bulk decision started from its form: the focus goes to its progress panel (the form's
     buttons are about to be replaced by the inbox showing the items as being decided). */
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "bulk-panels" && !(dialog && dialog.open)) {
      var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
      if (elt && elt.matches && elt.matches("[data-bulk-form]")) focusNewestPanel();
    }
  });

  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.matches || !elt.matches("[data-bulk-poll]")) return;
    var kind = elt.getAttribute("data-bulk-kind");
    var root = inbox();
    var ids = [];
    if (root && root.getAttribute("data-kind") === kind) {
      root.querySelectorAll("tr[data-row][data-in-bulk]").forEach(function (row) {
        ids.push(row.getAttribute("data-webwork-id"));
      });
    }
    if (ids.length) event.detail.parameters.rows = ids.join(",");
  });

  function revealJsOnly() {
    document.querySelectorAll("[data-js-only][hidden]").forEach(function (el) { el.hidden = false; });
  }

  function start() {
    revealJsOnly();
    initRows();
    showSelection();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
