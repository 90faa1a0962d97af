/* Yiwen 译文 — progressive enhancement for search; every page works without it.

   1. Actor suggestions in the search boxes (`[data-suggest]`): while typing, ask
      GET /api/actors?q= (debounced, the previous request aborted) and show the matching actors
      in an ARIA listbox under the box (a combobox pattern: arrow keys move, Enter or a click opens
      the actor's page, Escape closes). Enter with no suggestion chosen submits the search as
      usual. Chinese typed through an input method is looked up when the composition ends.
   2. The search page's filters (`details[data-facets]`): open beside the results on wide
      screens, folded away under "Filter the results" on phones.

   No third-party code; nothing is loaded from elsewhere. */
(function () {
  "use strict";

  var DELAY = 200; // ms of quiet typing before asking the server
  var LIMIT = 8;
  var CJK = /[\u3400-\u9fff\uf900-\ufaff\u{20000}-\u{323af}]/u;
  var counter = 0;

  function tag(code) {
    return code === "zh-hans" ? "zh-Hans" : code;
  }

  function enhance(box) {
    var input = box.querySelector("input[type=search]");
    if (!input || !window.fetch) return;
    var language = box.dataset.language;
    var id = (input.id || "search") + "-actors-" + ++counter;
    var list = document.createElement("ul");
    list.id = id;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", box.dataset.label || "");
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    box.appendChild(list);
    box.appendChild(status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);

    var timer = 0;
    var controller = null;
    var composing = false;
    var options = [];
    var active = -1;

    function close() {
      list.hidden = true;
      list.textContent = "";
      options = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function name(actor, code) {
      return (actor.name && actor.name[code]) || "";
    }

    function render(results) {
      close();
      if (!results.length || document.activeElement !== input) return;
      results.forEach(function (actor, i) {
        var other = Object.keys(actor.name || {}).filter(function (c) {
          return c !== language && name(actor, c);
        })[0];
        var mainCode = name(actor, language) ? language : other;
        var option = document.createElement("li");
        option.id = id + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        var link = document.createElement("a");
        link.href = box.dataset.actorUrl.replace("actor-slug", encodeURIComponent(actor.slug));
        link.tabIndex = -1;
        var main = document.createElement("span");
        main.className = "name";
        main.lang = tag(mainCode || language);
        main.textContent = name(actor, mainCode) || actor.slug;
        link.appendChild(main);
        if (other && mainCode !== other) {
          var second = document.createElement("span");
          second.className = "other";
          second.lang = tag(other);
          second.textContent = name(actor, other);
          link.appendChild(document.createTextNode(" "));
          link.appendChild(second);
        }
        var count = document.createElement("span");
        count.className = "count";
        count.textContent = String(actor.article_count);
        link.appendChild(document.createTextNode(" "));
        link.appendChild(count);
        option.appendChild(link);
        list.appendChild(option);
        options.push(option);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      status.textContent = box.dataset.hint || "";
    }

    function lookup() {
      var q = input.value.trim();
      if (q.length < (CJK.test(q) ? 1 : 2)) {
        if (controller) controller.abort();
        close();
        return;
      }
      if (controller) controller.abort();
      controller = window.AbortController ? new AbortController() : null;
      var url = box.dataset.suggest + "?" + new URLSearchParams({ q: q, limit: LIMIT });
      fetch(url, { headers: { Accept: "application/json" }, signal: controller && controller.signal })
        .then(function (response) {
          return response.ok ? response.json() : { results: [] };
        })
        .then(function (data) {
          if (input.value.trim() === q) render(data.results || []);
        })
        .catch(function () {}); // aborted or offline: the box still searches
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(lookup, DELAY);
    }

    input.addEventListener("input", function () {
      if (!composing) later();
    });
    input.addEventListener("compositionstart", function () {
      composing = true;
    });
    input.addEventListener("compositionend", function () {
      composing = false;
      later();
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden || event.isComposing) return;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight(active + 1 < options.length ? active + 1 : 0);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(active > 0 ? active - 1 : options.length - 1);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        window.location.assign(options[active].querySelector("a").href);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () {
      window.setTimeout(close, 150); // after a click on a suggestion has landed
    });
    // Keep the focus in the box while a suggestion is clicked (the link still navigates).
    list.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
  }

  function facets(details) {
    var wide = window.matchMedia("(min-width: 60rem)");
    function fit() {
      details.open = wide.matches;
    }
    fit();
    if (wide.addEventListener) wide.addEventListener("change", fit);
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-suggest]"), enhance);
  Array.prototype.forEach.call(document.querySelectorAll("details[data-facets]"), facets);
})();
