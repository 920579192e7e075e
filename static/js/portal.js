// The little the portal does with JavaScript: htmx does the swapping; this keeps keyboard and
// screen-reader users where they were. Everything works without it.
"use strict";

document.documentElement.classList.add("js");

// After htmx swaps a group of invoices (a page turn, a switch), focus moves to the group's
// heading and a polite live region says what changed ("Paid, page 3 of 100").
document.addEventListener("htmx:afterSettle", function (event) {
  // An outerHTML swap replaces the target: look the new element up by the target's id.
  var target = event.detail.target;
  var swapped = target && target.id ? document.getElementById(target.id) : null;
  if (!swapped || !swapped.hasAttribute("data-announce")) {
    return;
  }
  var heading = swapped.querySelector("h2[tabindex]");
  if (heading) {
    heading.focus();
  }
  var live = document.getElementById("live-region");
  if (live) {
    live.textContent = "";
    // A fresh text node after a tick, so the same words twice are announced twice.
    window.setTimeout(function () {
      live.textContent = swapped.getAttribute("data-announce");
    }, 50);
  }
});

// "Print" buttons (shown only with JavaScript): the print stylesheet does the rest.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-print]");
  if (button) {
    window.print();
  }
});

// The footer's language switcher comes back to the address the page shows now, also after htmx
// changed it (a page turn): without JavaScript the page's own address is already right.
document.addEventListener("htmx:pushedIntoHistory", function () {
  var next = document.querySelector(".language-switcher input[name=next]");
  if (next) {
    next.value = window.location.pathname + window.location.search;
  }
});
