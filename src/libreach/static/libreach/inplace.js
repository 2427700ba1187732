/* Pages that answer in place. htmx (vendor/htmx.min.js) does forms marked hx-post; this
   file adds what htmx does not:

   - Scan boxes (<form data-scan-form> holding <input name="scan">): a keyboard-wedge
     scanner types a barcode and Enter, often faster than the server answers. Every scan
     is sent, in order, none dropped: the box is emptied at once for the next scan and
     keeps the focus; the answer is swapped into the form's data-scan-target (default
     #scan-result) with its out-of-band parts (#messages, counts, rows). A
     [data-scan-result="ok"|"error"] in the answer gives a sound and a flash.
   - window.libreachScan(form, code) sends a code read by the camera (camera-scan.js).
   - Focus: when a swap removed the focused element and htmx could not put it back (same
     id), focus goes to [data-focus-after] in the new content, else to the swap target,
     so a keyboard user is never sent back to the top of the page.
   Without JavaScript none of this runs and the same forms post and redirect. */
(function () {
  "use strict";

  var requests = Promise.resolve(); /* the last scan's answer arrived */
  var shown = Promise.resolve(); /* the last scan's answer is on screen */
  var audio = null;

  function beep(ok) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var tones = ok ? [[1046, 0.07]] : [[330, 0.12], [247, 0.18]];
      var at = audio.currentTime;
      tones.forEach(function (tone) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.frequency.value = tone[0];
        osc.type = ok ? "sine" : "square";
        gain.gain.setValueAtTime(0.15, at);
        gain.gain.exponentialRampToValueAtTime(0.001, at + tone[1]);
        osc.connect(gain).connect(audio.destination);
        osc.start(at);
        osc.stop(at + tone[1]);
        at += tone[1] + 0.03;
      });
    } catch (e) {
      /* No sound device: the flash and the words still tell. */
    }
    if (!ok && navigator.vibrate) navigator.vibrate([80, 60, 80]);
  }

  function cue(target) {
    var result = target && target.querySelector("[data-scan-result]");
    if (!result) return;
    var ok = result.getAttribute("data-scan-result") === "ok";
    beep(ok);
    /* Restart the flash on the next frame rather than forcing a layout now: the answer is
       on screen a frame sooner, and the next scan waits for nothing. */
    target.classList.remove("scan-flash--ok", "scan-flash--error");
    requestAnimationFrame(function () {
      target.classList.add(ok ? "scan-flash--ok" : "scan-flash--error");
    });
  }

  function failure(target) {
    var text = document.body.getAttribute("data-inplace-error") || "Error";
    target.innerHTML = "";
    var p = document.createElement("p");
    p.className = "alert alert--error";
    p.setAttribute("data-scan-result", "error");
    p.textContent = text;
    target.appendChild(p);
    cue(target);
  }

  function send(form, code) {
    var box = form.querySelector('[name="scan"]');
    var target = document.querySelector(form.getAttribute("data-scan-target") || "#scan-result");
    var data = new FormData(form);
    data.set("scan", code);
    form.setAttribute("aria-busy", "true");
    /* Scans reach the server one after another, in the order they were made (the count
       and a double scan depend on it): the next leaves once this one's answer is in, not
       once it is on screen, so that the page drawing one answer and the server working
       on the next overlap when scans come faster than answers. */
    var answer = requests.then(function () {
      return fetch(form.action, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "HX-Request": "true", "HX-Current-URL": location.href },
      }).then(function (response) {
        if (response.status >= 500) throw new Error(String(response.status));
        if (response.redirected) return { redirect: response.url };
        return response.text().then(function (html) { return { html: html }; });
      });
    });
    requests = answer.catch(function () {});
    shown = shown.then(function () {
      return answer
        .then(function (got) {
          if (got.redirect) {
            location.href = got.redirect; /* signed out, say: a scan never redirects */
            return;
          }
          window.htmx.swap(target, got.html, { swapStyle: "innerHTML" });
          cue(target);
        })
        .catch(function () {
          failure(target);
        })
        .then(function () {
          form.removeAttribute("aria-busy");
          if (box && focusLost()) box.focus();
          form.dispatchEvent(new CustomEvent("libreach:scanned", { bubbles: true }));
        });
    });
    return shown;
  }

  window.libreachScan = send;

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-scan-form]");
    if (!form || !window.htmx || !window.fetch) return; /* then the form posts as usual */
    event.preventDefault();
    var box = form.querySelector('[name="scan"]');
    var code = box.value.trim();
    box.value = "";
    box.focus();
    if (code) send(form, code);
  });

  var focusedBefore = null;
  var neighbours = [];
  var FOCUSABLE = "a[href], button:not([disabled]), input:not([type=hidden]), select, textarea, [tabindex]";

  /* The rows around the focused control's row (a table row or list item), the row itself
     first (swapped for a new one with its id), then the next ones, then the ones before:
     when an answer takes that row off the list, the focus goes on to the same control of
     the row that took its place (the next Found button), as it would on paper. */
  function rowsAround(element) {
    var row = element && element.closest && element.closest("tr, li");
    if (!row) return [];
    var near = [row];
    for (var r = row.nextElementSibling; r; r = r.nextElementSibling) near.push(r);
    for (var p = row.previousElementSibling; p; p = p.previousElementSibling) near.push(p);
    return near.map(function (r) { return { row: r, id: r.id }; });
  }

  function sameControl(controls, element) {
    var text = (element.textContent || "").trim();
    for (var i = 0; i < controls.length; i++) {
      var c = controls[i];
      if (c.tagName !== element.tagName) continue;
      if (element.name ? c.name === element.name : (c.textContent || "").trim() === text) return c;
    }
    return controls[0] || null;
  }

  function inNeighbour(element) {
    for (var i = 0; i < neighbours.length; i++) {
      var row = neighbours[i].row;
      if (!row.isConnected) row = neighbours[i].id && document.getElementById(neighbours[i].id);
      if (!row || row === element) continue;
      var control = sameControl(row.querySelectorAll(FOCUSABLE), element);
      if (control) return control;
    }
    return null;
  }

  document.addEventListener("htmx:beforeSwap", function () {
    focusedBefore = document.activeElement;
    neighbours = rowsAround(focusedBefore);
  });
  function focusLost() {
    var active = document.activeElement;
    /* Body, or the removed element itself until the browser's focus fixup has run. */
    return !active || active === document.body || !active.isConnected;
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    cue(target);
    var used = focusedBefore;
    if (!used || used === document.body) return;
    /* Decided once all of this answer's parts have settled (htmx fires afterSettle for the
       target and for each out-of-band part), and once the browser has let go of a removed
       element's focus. */
    focusedBefore = null;
    var rows = neighbours;
    neighbours = [];
    setTimeout(function () {
      if (!focusLost()) return;
      /* The answer's own choice first, then the row that took the used one's place. */
      neighbours = rows;
      var next = document.querySelector("[data-focus-after]") ||
        (!used.isConnected && inNeighbour(used)) || (target && target.isConnected && target);
      neighbours = [];
      if (next && next.isConnected) {
        if (!next.matches(FOCUSABLE)) next.setAttribute("tabindex", "-1");
        next.focus();
      }
    }, 0);
  });
})();
