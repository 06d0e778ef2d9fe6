/* hallq realtime feed: the only client of the /live protocol in the browser (docs/realtime.md).
 *
 * HallqFeed.start({hall, auth, window, onEvent, onSnapshot, onStatus, onSync, onPosition}) connects to /live,
 * subscribes with `since` = the last seq it applied, drops duplicates, holds out-of-order events briefly and
 * re-subscribes on a real gap, shows online/offline through onStatus, and sends `sync` every 20 s. A phone's
 * onPosition gets its live place in the queue. A credential the server refuses (`connect_error` carrying a
 * `login_required` problem, docs/realtime.md) reaches onRefused(problem) and is tried again every minute.
 * Pages never open Socket.IO themselves.
 */
(function () {
  "use strict";

  var SYNC_INTERVAL_MS = 20000;   // heartbeat: a silent gap (lost packet, missed publish) is found within 20 s
  var GAP_WAIT_MS = 1000;         // two servers may publish adjacent seqs out of order; wait this long first
  var REFUSED_RETRY_MS = 60000;   // a refused credential is tried again this often (refusals are rare and cheap)

  function start(opts) {
    var state = {
      last: null,            // last seq applied (hall scope) or seen (window/ticket scope)
      version: null,
      scope: opts.track ? "ticket" : (opts.window != null ? "window" : "hall"),
      pending: {},           // seq -> event, held while a gap is open (hall scope)
      gapTimer: null,
      subscribing: false,
      replaying: false,
      skewMs: 0,             // server clock minus ours, from acks: replay ages use the server's time
      refusedTimer: null,
      online: false
    };
    var socket = io("/live", {
      auth: opts.auth,
      // Websocket first: no sticky sessions needed behind nginx with several processes; long-polling only as
      // the fallback for networks that block websockets.
      transports: ["websocket", "polling"],
      tryAllTransports: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000
    });

    function setOnline(online, problem) {
      if (state.online === online && !problem) return;
      state.online = online;
      if (opts.onStatus) opts.onStatus(online, problem || null);
    }

    function subscribe() {
      state.subscribing = true;
      state.replaying = true;
      clearGap();
      var req = {hall: opts.hall, since: state.last};
      if (opts.window != null) req.window = opts.window;
      socket.timeout(15000).emit("subscribe", req, function (err, ack) {
        state.subscribing = false;
        state.replaying = false;
        if (err || !ack) { setOnline(false); return; }
        if (!ack.ok) { setOnline(false, ack.problem); return; }
        noteServer(ack);
        if (state.last === null || ack.seq > state.last) state.last = ack.seq;
        setOnline(true);
      });
    }

    function noteServer(ack) {
      if (ack.now) state.skewMs = Date.parse(ack.now) - Date.now();
      if (ack.version) {
        if (state.version && ack.version !== state.version) { window.location.reload(); return; }
        state.version = ack.version;
      }
    }

    function clearGap() {
      if (state.gapTimer) { clearTimeout(state.gapTimer); state.gapTimer = null; }
      state.pending = {};
    }

    function apply(ev) {
      state.last = ev.seq;
      try {
        opts.onEvent(ev, {replayed: state.replaying, serverNow: Date.now() + state.skewMs});
      } catch (e) {
        if (window.console) console.error("hallq feed: handler failed", e);
      }
    }

    function drain() {
      while (state.pending[state.last + 1]) {
        var next = state.pending[state.last + 1];
        delete state.pending[state.last + 1];
        apply(next);
      }
      if (Object.keys(state.pending).length === 0 && state.gapTimer) {
        clearTimeout(state.gapTimer);
        state.gapTimer = null;
      }
    }

    socket.on("event", function (ev) {
      if (!ev || typeof ev.seq !== "number") return;
      if (state.last !== null && ev.seq <= state.last) return;          // duplicate: already applied
      if (state.scope !== "hall" || state.last === null || ev.seq === state.last + 1) {
        apply(ev);
        if (state.scope === "hall") drain();
        return;
      }
      state.pending[ev.seq] = ev;                                        // gap: hold, wait, then resync
      if (!state.gapTimer) {
        state.gapTimer = setTimeout(function () {
          state.gapTimer = null;
          if (Object.keys(state.pending).length) subscribe();
        }, GAP_WAIT_MS);
      }
    });

    socket.on("snapshot", function (snap) {
      clearGap();
      state.last = snap.seq;
      if (opts.onSnapshot) opts.onSnapshot(snap);
    });

    // A phone's live place in the queue (not an event: no seq of its own, only the hall seq it was read at).
    socket.on("position", function (p) {
      if (!p || !opts.onPosition) return;
      if (typeof p.seq === "number" && state.last !== null && p.seq < state.last) return;  // older than shown
      opts.onPosition(p);
    });

    socket.on("connect", function () { subscribe(); });
    socket.on("disconnect", function () { setOnline(false); });
    socket.on("connect_error", function (err) {
      var problem = err && err.data && err.data.problem;
      setOnline(false, problem || null);
      if (problem && problem.code === "login_required" && opts.onRefused) opts.onRefused(problem);
      if (err && err.data) {
        // Refused by the server: Socket.IO does not try again by itself. Try now and then, so a display comes
        // back without a visit once its credential is valid again (a database restored, a session renewed).
        clearTimeout(state.refusedTimer);
        state.refusedTimer = setTimeout(function () { if (!socket.connected) socket.connect(); }, REFUSED_RETRY_MS);
      }
    });

    setInterval(function () {
      if (!socket.connected || state.subscribing) return;
      socket.timeout(10000).emit("sync", {last_seq: state.last}, function (err, ack) {
        if (err || !ack || !ack.ok) { setOnline(false); return; }
        noteServer(ack);
        if (opts.onSync) opts.onSync(ack);
        if (typeof ack.seq !== "number") return;
        if (state.last !== null && ack.seq < state.last) {
          // The hall's history went back (a restore): what this page holds is from a future that no longer
          // exists. Start over from a snapshot instead of waiting for the seq to pass the old value.
          state.last = null;
          clearGap();
          subscribe();
        } else if (state.last === null || ack.seq > state.last) {
          subscribe();
        }
      });
    }, SYNC_INTERVAL_MS);

    return {
      socket: socket,
      state: state,
      serverNow: function () { return Date.now() + state.skewMs; }
    };
  }

  window.HallqFeed = {start: start};
})();
