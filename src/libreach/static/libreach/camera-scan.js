/* Camera scanning for the scan boxes (includes/scan_box.html, includes/camera_scan.html).

   A volunteer at a dormitory door scans the reader's QR code, or a book's barcode, with a
   phone. The scan form's "Scan with camera" button, hidden without JavaScript and where the
   browser has no camera API (getUserMedia needs a secure context), opens a panel under
   the box with the rear camera. Codes are read with the browser's BarcodeDetector where it
   reads what libraries print, else with ZXing (vendor/zxing.min.js, loaded only then).
   Each code read goes through window.libreachScan (inplace.js): sent in order exactly as
   if typed, its answer swapped into #scan-result with its sound and flash. Scanning goes
   on until the panel is closed, and a code still in view is not sent again (see
   REPEAT_MS). The camera is stopped when the panel closes and while the page is hidden.
   Every word shown comes from the panel's data-say-* attributes, in the page's language. */
(function () {
  "use strict";

  var WANTED = ["qr_code", "code_128", "code_39", "codabar", "ean_13", "ean_8", "itf", "upc_a"];
  /* The handover QR and the barcodes libraries stick on books: a native detector lacking
     one of these would miss codes ZXing reads, so ZXing is used instead. */
  var NEEDED = ["qr_code", "code_128", "code_39", "codabar"];
  var ZXING_FORMATS = ["QR_CODE", "CODE_128", "CODE_39", "CODABAR", "EAN_13", "EAN_8", "ITF", "UPC_A"];
  /* The same code is ignored until it has been out of view this long: a code held in
     front of the camera is read many times a second and must be sent once. */
  var REPEAT_MS = 2500;
  /* Pause between two reads: leaves the phone's CPU to the page and the answers. */
  var PAUSE_MS = 80;
  /* Frames are scaled down to this many pixels on their long side before ZXing reads
     them: enough for a barcode filling part of the frame, and fast on a phone. */
  var ZXING_SIDE = 960;

  var zxing = null;
  var active = null;

  function cameraApi() {
    return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  }

  function loadZXing(src) {
    if (window.ZXing) return Promise.resolve(window.ZXing);
    if (!zxing) {
      zxing = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = src;
        script.async = true;
        script.addEventListener("load", function () {
          if (window.ZXing) resolve(window.ZXing);
          else reject(new Error("ZXing did not load"));
        });
        script.addEventListener("error", function () {
          zxing = null; /* try again at the next opening */
          reject(new Error("ZXing did not load"));
        });
        document.head.appendChild(script);
      });
    }
    return zxing;
  }

  /* A decoder: a function from the <video> to a promise of the text read, or null. */
  function nativeDecoder() {
    var Detector = window.BarcodeDetector;
    if (!Detector || typeof Detector.getSupportedFormats !== "function") return Promise.resolve(null);
    return Detector.getSupportedFormats().then(
      function (supported) {
        var has = function (format) { return supported.indexOf(format) >= 0; };
        if (!NEEDED.every(has)) return null;
        var detector = new Detector({ formats: WANTED.filter(has) });
        return function (video) {
          return detector.detect(video).then(function (codes) {
            return codes.length ? codes[0].rawValue : null;
          });
        };
      },
      function () { return null; }
    );
  }

  function zxingDecoder(src) {
    return loadZXing(src).then(function (ZXing) {
      var hints = new Map();
      hints.set(ZXing.DecodeHintType.POSSIBLE_FORMATS, ZXING_FORMATS.map(function (name) {
        return ZXing.BarcodeFormat[name];
      }));
      var reader = new ZXing.MultiFormatReader();
      reader.setHints(hints);
      var canvas = document.createElement("canvas");
      /* Read back every frame: ask for a canvas kept in memory, not on the GPU. ZXing's
         getContext("2d") then gets this same context. */
      var context = canvas.getContext("2d", { willReadFrequently: true });
      return function (video) {
        var width = video.videoWidth;
        var height = video.videoHeight;
        if (!width || !height) return Promise.resolve(null);
        var scale = Math.min(1, ZXING_SIDE / Math.max(width, height));
        var w = Math.round(width * scale);
        var h = Math.round(height * scale);
        if (canvas.width !== w || canvas.height !== h) {
          canvas.width = w;
          canvas.height = h;
        }
        context.drawImage(video, 0, 0, w, h);
        try {
          var source = new ZXing.HTMLCanvasElementLuminanceSource(canvas);
          var bitmap = new ZXing.BinaryBitmap(new ZXing.HybridBinarizer(source));
          return Promise.resolve(reader.decodeWithState(bitmap).getText());
        } catch (error) {
          /* NotFound, Checksum, Format: nothing readable in this frame. */
          return Promise.resolve(null);
        } finally {
          reader.reset();
        }
      };
    });
  }

  function decoder(panel) {
    return nativeDecoder().then(function (decode) {
      return decode || zxingDecoder(panel.getAttribute("data-zxing"));
    });
  }

  function say(state, what) {
    state.status.textContent = state.panel.getAttribute("data-say-" + what) || "";
    state.panel.setAttribute("data-camera-state", what);
  }

  function trouble(error) {
    var name = (error && error.name) || "";
    if (name === "NotAllowedError" || name === "SecurityError") return "denied";
    if (name === "NotFoundError" || name === "OverconstrainedError") return "missing";
    if (name === "NotReadableError" || name === "TrackStartError") return "busy";
    return "failed";
  }

  function stopCamera(state) {
    state.run = null; /* late answers of the run being stopped see this and stop */
    clearTimeout(state.timer);
    if (state.stream) {
      state.stream.getTracks().forEach(function (track) { track.stop(); });
      state.stream = null;
    }
    state.video.pause();
    state.video.srcObject = null;
  }

  function startCamera(state) {
    stopCamera(state);
    var run = (state.run = {});
    say(state, "starting");
    var decoding = state.decode ? Promise.resolve(state.decode) : decoder(state.panel);
    /* Its failure is said once the camera answers (below); until then, or when the
       camera is refused, it must not surface as an unhandled rejection. */
    decoding.catch(function () {});
    navigator.mediaDevices
      .getUserMedia({
        audio: false,
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
      })
      .then(function (stream) {
        if (state.run !== run) {
          stream.getTracks().forEach(function (track) { track.stop(); });
          return;
        }
        state.stream = stream;
        state.video.srcObject = stream;
        return Promise.all([state.video.play(), decoding]).then(function (done) {
          if (state.run !== run) return;
          state.decode = done[1];
          say(state, "ready");
          read(state, run);
        });
      })
      .catch(function (error) {
        if (state.run !== run) return;
        stopCamera(state);
        say(state, trouble(error));
      });
  }

  function read(state, run) {
    if (state.run !== run) return;
    if (!state.panel.isConnected) {
      close(false); /* the panel swapped away: no camera left running with no way to stop it */
      return;
    }
    var video = state.video;
    var reading = video.readyState >= 2 ? state.decode(video) : Promise.resolve(null);
    reading
      .then(
        function (code) { if (state.run === run && code) take(state, code); },
        function () { /* a frame that could not be read: the next one may be */ }
      )
      .then(function () {
        if (state.run === run) state.timer = setTimeout(read, PAUSE_MS, state, run);
      });
  }

  function take(state, code) {
    code = String(code).trim();
    if (!code) return;
    var now = Date.now();
    var again = code === state.lastCode && now - state.lastSeen < REPEAT_MS;
    state.lastSeen = now;
    if (again) return;
    state.lastCode = code;
    state.last.textContent = code;
    state.last.classList.remove("camera-scan__read");
    void state.last.offsetWidth; /* restart the animation */
    state.last.classList.add("camera-scan__read");
    if (window.libreachScan) {
      window.libreachScan(state.form, code);
    } else {
      /* inplace.js missing: the form posts as if typed. */
      state.form.querySelector('[name="scan"]').value = code;
      state.form.requestSubmit();
    }
  }

  function open(form, button) {
    var panel = document.getElementById(button.getAttribute("aria-controls"));
    if (!panel) return;
    if (active) close(false);
    active = {
      form: form,
      button: button,
      panel: panel,
      video: panel.querySelector("video"),
      status: panel.querySelector("[data-camera-status]"),
      last: panel.querySelector("[data-camera-last]"),
      stream: null,
      run: null,
      timer: null,
      decode: null,
      lastCode: null,
      lastSeen: 0,
    };
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    var closer = panel.querySelector("[data-camera-close]");
    if (closer) closer.focus({ preventScroll: true });
    /* On a phone the picture and the answers under it (#scan-result) are seen together:
       the panel goes to the top of the screen when the answers would fall below it. */
    var answers = document.querySelector(form.getAttribute("data-scan-target") || "#scan-result");
    var bottom = (answers || panel).getBoundingClientRect().bottom + 72;
    if (bottom > window.innerHeight) panel.scrollIntoView({ block: "start" });
    startCamera(active);
  }

  function close(returnFocus) {
    var state = active;
    if (!state) return;
    active = null;
    stopCamera(state);
    state.panel.hidden = true;
    state.panel.removeAttribute("data-camera-state");
    state.button.setAttribute("aria-expanded", "false");
    if (returnFocus) {
      var box = state.form.querySelector('[name="scan"]');
      if (box) box.focus();
    }
  }

  /* The button shows where a camera can be asked for: the API is there (a secure
     context) and, where the browser says, the device has a camera. */
  function offer() {
    var buttons = document.querySelectorAll("form[data-scan-form] [data-camera-open]");
    if (!buttons.length || !cameraApi()) return;
    var show = function (yes) {
      buttons.forEach(function (button) { button.hidden = !yes; });
    };
    if (!navigator.mediaDevices.enumerateDevices) {
      show(true);
      return;
    }
    navigator.mediaDevices.enumerateDevices().then(
      function (devices) {
        show(devices.some(function (device) { return device.kind === "videoinput"; }));
      },
      function () { show(true); }
    );
  }

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-camera-open]");
    if (opener) {
      var form = opener.closest("form[data-scan-form]");
      if (active && active.button === opener) close(true);
      else if (form) open(form, opener);
      return;
    }
    if (active && event.target.closest("[data-camera-close]")) close(true);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !active) return;
    var inside = active.panel.contains(event.target) || active.form.contains(event.target);
    if (inside) {
      event.preventDefault();
      close(true);
    }
  });

  /* A phone put in a pocket or switched to another app: no camera running unseen. */
  document.addEventListener("visibilitychange", function () {
    if (!active) return;
    if (document.hidden) stopCamera(active);
    else startCamera(active);
  });
  window.addEventListener("pagehide", function () { close(false); });

  if (cameraApi() && navigator.mediaDevices.addEventListener) {
    navigator.mediaDevices.addEventListener("devicechange", offer);
  }
  offer();
})();
