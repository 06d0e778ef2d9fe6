/* hallq announcer (语音播报): one hall-wide serial queue of call announcements, scheduled to keep up with a busy
 * hall (docs/voice.md, "Schedule").
 *
 * HallqAnnouncer.create({chimeUrl, speechUrl(voice), now(), onChange, overrides}) -> api;
 * api.enqueue(voice, {at, recall, window, ticket}) with `at` the call's time on the server's clock (ms).
 *
 * Never two at once, never cut off mid-sentence. A quiet hall hears the chime and the full sentence `repeats`
 * times. When calls wait, the schedule shortens instead of falling behind:
 *  - a repeat is played only while nobody waits;
 *  - the full sentence (~4.6 s) gives way to the brief reading "A 零零一 到 三 号窗口" (~2.6 s), then to the brief
 *    reading played faster (up to RATES' last), whichever is the least change that starts every waiting call
 *    within PLAN_MS of its call; in such a run only its first call gets the chime;
 *  - a recall goes ahead of the first calls waiting (its citizen is the one missing, its clerk waits idle);
 *  - a newer call at the same window replaces one not yet read (the window has moved on);
 *  - a call older than STALE_MS when its turn comes is dropped, not read: the screen shows it.
 * api.items (waiting), api.playing, api.log (started: lag_ms, form, rate) and api.dropped are for tests and
 * operators. If a WAV is unavailable it falls back to the browser's speech synthesis, and without a Chinese voice
 * shows the text for as long as it would have taken. When the browser blocks autoplay (no
 * --autoplay-policy=no-user-gesture-required) the queue waits for one tap; what went stale meanwhile is dropped.
 */
(function () {
  "use strict";

  var GAP_MS = 600;            // between repeats, and after an announcement when nobody waits
  var BUSY_GAP_MS = 200;       // between calls read one after another
  var PLAN_MS = 55000;         // every waiting call is scheduled to start within this (the goal is 60 s)
  var STALE_MS = 90000;        // older than this at its turn: dropped (the limit is 90 s)
  var QUIET_MS = 3000;         // after this much quiet a call opens with the chime, busy or not
  // Playback rates of the brief reading, pitch kept. espeak-ng reads 3 syllables a second at rate 1 (150 wpm,
  // chosen slow for a quiet hall); 1.5 is 4.5 a second, an announcer's normal pace, and what 24 calls at once need.
  var RATES = [1, 1.2, 1.35, 1.5];
  var UNIT_S = 0.33;           // seconds per spoken character at rate 1 (espeak-ng at 150 wpm, learned as it plays)
  var CHIME_S = 0.95;

  // Characters spoken: each CJK character is a syllable, each Latin letter about one ("A" is ēi).
  function units(speech) { return (speech || "").replace(/\s+/g, "").length || 1; }

  function create(opts) {
    var o = opts.overrides || {};
    var now = o.now || opts.now || function () { return Date.now(); };
    var wait = o.wait || function (ms) { return new Promise(function (r) { setTimeout(r, ms); }); };
    var playFile = o.play || playAudio;
    // A player that throws at once fails like one that rejects: the queue must never stop on it.
    function play(url, rate) { return Promise.resolve().then(function () { return playFile(url, rate); }); }
    var queue = [];
    var learned = {unit: UNIT_S, chime: CHIME_S};
    var lastEnd = -Infinity;   // server-clock time the last announcement ended
    var api = {
      items: queue,            // waiting announcements
      log: [],                 // started: {text, at and speech_at (page clock), lag_ms and speech_lag_ms (from the
                               // call, server clock), form, rate, chime, recall, window, ticket}
      dropped: [],             // {text, reason: "stale" | "superseded", lag_ms}
      playing: null,
      blocked: false,
      enqueue: enqueue
    };
    var audio = o.play ? null : new Audio();
    if (audio) audio.preload = "auto";

    function changed() { if (opts.onChange) opts.onChange(api); }

    function sameCall(a, b) {
      return (a.window != null && a.window === b.window) || (a.ticket != null && a.ticket === b.ticket);
    }

    function drop(entry, reason) {
      api.dropped.push({text: entry.text, reason: reason, lag_ms: now() - entry.at, window: entry.window,
                        ticket: entry.ticket, recall: entry.recall});
    }

    function enqueue(voice, meta) {
      if (!voice || !voice.text) return;
      meta = meta || {};
      var entry = {text: voice.text, voice: voice, at: meta.at != null ? meta.at : now(), recall: !!meta.recall,
                   window: meta.window, ticket: meta.ticket};
      for (var i = queue.length - 1; i >= 0; i--) {
        if (sameCall(queue[i], entry)) drop(queue.splice(i, 1)[0], "superseded");
      }
      if (api.playing && sameCall(api.playing, entry)) api.playing.superseded = true;  // no repeat of it
      var at = queue.length;
      if (entry.recall) { at = 0; while (at < queue.length && queue[at].recall) at++; }
      queue.splice(at, 0, entry);
      prefetch(entry);
      changed();
      if (!api.playing) next();
    }

    // Warm the server's render and the browser's cache while earlier calls are read.
    function prefetch(entry) {
      if (o.play || !window.fetch) return;
      [entry.voice, entry.voice.brief].forEach(function (v) {
        if (v && v.key) fetch(opts.speechUrl(v)).then(function (r) { return r.blob(); }).catch(function () {});
      });
    }

    function reading(entry, brief) { return brief && entry.voice.brief ? entry.voice.brief : entry.voice; }

    function estimateMs(entry, brief, rate) {
      return units(reading(entry, brief).speech) * learned.unit / rate * 1000 + BUSY_GAP_MS;
    }

    // Would every call, from `entry` through the waiting ones, start within PLAN_MS read this way?
    function keepsUp(t, entry, brief, rate) {
      var all = [entry].concat(queue);
      for (var i = 0; i < all.length; i++) {
        if (t - all[i].at > PLAN_MS) return false;
        t += estimateMs(all[i], brief, rate);
      }
      return true;
    }

    function plan(t, entry) {
      if (!entry.voice.brief || keepsUp(t, entry, false, 1)) return {brief: false, rate: 1};
      for (var i = 0; i < RATES.length; i++) {
        if (keepsUp(t, entry, true, RATES[i])) return {brief: true, rate: RATES[i]};
      }
      return {brief: true, rate: RATES[RATES.length - 1]};
    }

    function playAudio(url, rate) {
      return new Promise(function (resolve, reject) {
        audio.onended = function () { resolve(audio.duration); };
        audio.onerror = function () { reject(new Error("audio failed: " + url)); };
        audio.src = url;
        // Loading a source resets playbackRate to defaultPlaybackRate: set both. Pitch stays (the default).
        audio.defaultPlaybackRate = rate;
        audio.playbackRate = rate;
        var p = audio.play();
        if (p && p.catch) p.catch(reject);
      });
    }

    function speakText(voice, rate) {
      var synth = window.speechSynthesis;
      var zh = synth && synth.getVoices().filter(function (v) { return /^zh|cmn/i.test(v.lang); })[0];
      if (!zh) return wait(units(voice.speech) * learned.unit / rate * 1000);  // shown for as long as spoken
      return new Promise(function (resolve) {
        var u = new SpeechSynthesisUtterance(voice.speech || voice.text);
        u.voice = zh;
        u.lang = zh.lang;
        u.rate = rate;
        u.onend = resolve;
        u.onerror = resolve;
        synth.speak(u);
      });
    }

    function readOnce(voice, rate) {
      return play(opts.speechUrl(voice), rate).then(function (seconds) {
        // The file's own length (at rate 1) teaches the schedule how long this voice takes per character.
        if (seconds > 0.5 && isFinite(seconds)) learned.unit = 0.7 * learned.unit + 0.3 * seconds / units(voice.speech);
      }, function (err) {
        if (err && err.name === "NotAllowedError") throw err;
        return speakText(voice, rate);
      });
    }

    function Stale() { this.name = "Stale"; }

    function next() {
      if (api.playing) return;
      while (queue.length && now() - queue[0].at > STALE_MS) drop(queue.shift(), "stale");
      if (!queue.length) { changed(); return; }
      var entry = queue.shift();
      var t = now();
      var first = plan(t, entry);
      var chime = !first.brief || t - lastEnd >= QUIET_MS;
      var logged = {text: entry.text, at: Date.now(), lag_ms: t - entry.at, recall: entry.recall,
                    window: entry.window, ticket: entry.ticket, chime: chime, form: null, rate: null};
      api.playing = entry;
      api.log.push(logged);
      changed();
      var spoken = null;
      var run = (chime ? play(opts.chimeUrl, 1).then(function (seconds) {
        if (seconds > 0 && isFinite(seconds)) learned.chime = seconds;
      }, function (err) {
        if (err && err.name === "NotAllowedError") throw err;
      }) : Promise.resolve()).then(function () {
        var t2 = now();
        if (t2 - entry.at > STALE_MS) throw new Stale();
        spoken = plan(t2, entry);  // calls that came during the chime count too
        logged.form = spoken.brief ? "brief" : "full";
        logged.rate = spoken.rate;
        logged.speech_lag_ms = t2 - entry.at;
        logged.speech_at = Date.now();
        var voice = reading(entry, spoken.brief);
        var chain = readOnce(voice, spoken.rate);
        for (var i = 1; i < (entry.voice.repeats || 1); i++) {
          chain = chain.then(function () {
            if (spoken.brief || queue.length || entry.superseded) return null;  // a repeat only in a quiet hall
            logged.repeats = (logged.repeats || 1) + 1;
            return wait(GAP_MS).then(function () { return readOnce(voice, 1); });
          });
        }
        return chain;
      }).then(function () { return wait(queue.length ? BUSY_GAP_MS : GAP_MS); });
      run.then(finished, function (err) {
        if (err && err.name === "NotAllowedError") {
          api.log.pop();            // not heard: it waits at the head for the tap
          queue.unshift(entry);
          api.playing = null;
          unlockThen(next);
          return;
        }
        if (err instanceof Stale) { api.log.pop(); drop(entry, "stale"); }
        finished();  // an unexpected failure: don't block the hall's queue on one announcement
      });

      function finished() {
        api.playing = null;
        lastEnd = now();
        changed();
        next();
      }
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

    return api;
  }

  window.HallqAnnouncer = {create: create, PLAN_MS: PLAN_MS, STALE_MS: STALE_MS};
})();
