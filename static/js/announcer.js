/* hallq announcer (语音播报): one hall-wide serial queue of call announcements.
 *
 * HallqAnnouncer.create({chimeUrl, speechUrl(voice), onChange}) -> {enqueue(voice), items, log}.
 * Each announcement: the chime, then the rendered speech `repeats` times. Never two at once, never cut off, in
 * call order; a recall is simply enqueued again. If the WAV is unavailable it falls back to the browser's speech
 * synthesis, and if that has no Chinese voice it shows the text for the same time. When the browser blocks
 * autoplay (no --autoplay-policy=no-user-gesture-required), the queue waits for one tap and loses nothing.
 */
(function () {
  "use strict";

  var GAP_MS = 600;            // pause between repeats and between announcements, so calls don't run together
  var TEXT_ONLY_MS = 4000;     // how long a silent (no audio at all) announcement occupies the queue

  function create(opts) {
    var queue = [];
    var api = {
      items: queue,            // waiting announcements (tests and the screen read this)
      log: [],                 // started announcements: {text, at}
      playing: null,
      blocked: false,
      enqueue: enqueue
    };
    var audio = new Audio();
    audio.preload = "auto";

    function changed() { if (opts.onChange) opts.onChange(api); }

    function enqueue(voice) {
      if (!voice || !voice.text) return;
      queue.push(voice);
      changed();
      if (!api.playing) next();
    }

    function wait(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

    function playUrl(url) {
      return new Promise(function (resolve, reject) {
        audio.onended = function () { resolve(); };
        audio.onerror = function () { reject(new Error("audio failed: " + url)); };
        audio.src = url;
        var p = audio.play();
        if (p && p.catch) p.catch(reject);
      });
    }

    function speakText(voice) {
      var synth = window.speechSynthesis;
      var zh = synth && synth.getVoices().filter(function (v) { return /^zh|cmn/i.test(v.lang); })[0];
      if (!zh) return wait(TEXT_ONLY_MS);
      return new Promise(function (resolve) {
        var u = new SpeechSynthesisUtterance(voice.speech || voice.text);
        u.voice = zh;
        u.lang = zh.lang;
        u.onend = resolve;
        u.onerror = resolve;
        synth.speak(u);
      });
    }

    function playOnce(voice) {
      return playUrl(opts.speechUrl(voice)).catch(function (err) {
        if (err && err.name === "NotAllowedError") throw err;
        return speakText(voice);
      });
    }

    function unlockThen(retry) {
      api.blocked = true;
      changed();
      var onTap = function () {
        document.removeEventListener("click", onTap);
        document.removeEventListener("keydown", onTap);
        api.blocked = false;
        changed();
        retry();
      };
      document.addEventListener("click", onTap);
      document.addEventListener("keydown", onTap);
    }

    function next() {
      if (api.playing || !queue.length) return;
      var voice = queue[0];
      api.playing = voice;
      changed();
      var run = playUrl(opts.chimeUrl).catch(function (err) {
        if (err && err.name === "NotAllowedError") throw err;
      }).then(function () {
        api.log.push({text: voice.text, at: Date.now()});
        var chain = Promise.resolve();
        for (var i = 0; i < (voice.repeats || 1); i++) {
          chain = chain.then(function () { return playOnce(voice); }).then(function () { return wait(GAP_MS); });
        }
        return chain;
      });
      run.then(function () {
        queue.shift();
        api.playing = null;
        changed();
        next();
      }, function (err) {
        api.playing = null;
        if (err && err.name === "NotAllowedError") { unlockThen(next); return; }
        queue.shift();   // an unexpected failure: don't block the hall's queue on one announcement
        changed();
        next();
      });
    }

    return api;
  }

  window.HallqAnnouncer = {create: create};
})();
