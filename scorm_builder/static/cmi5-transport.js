/*
 * Skarp cmi5 transport (loaded before cmi5-runtime.js): sends an AU's xAPI statements in order and
 * its progress document to the State API, with the session's auth token.
 *
 * Every pending statement goes in one POST (a statement keeps its id when resent, so a retry cannot
 * duplicate it), then the progress document, so the LRS never holds progress ahead of the
 * statements it reflects. A refused send is retried after 1, 3, 10 and then every 30 seconds. When
 * the page is going away (keepalive), both requests leave at once as keepalive fetches: nothing can
 * be sent after the page is gone.
 */
(function (global) {
  "use strict";

  var XAPI_VERSION = "1.0.3";
  var RETRY_DELAYS_MS = [1000, 3000, 10000, 30000];

  function message(error) {
    var response = error && error.response;
    if (response) return "HTTP " + response.status + " from " + ((error.config && error.config.url) || "the LMS");
    return String((error && error.message) || error);
  }

  /** cmi5: an initialized-or-initializing Cmi5 (launch parameters, auth token); stateId: the progress document's id. */
  function Transport(cmi5, stateId) {
    this.stateId = stateId;
    this.cmi5 = cmi5;
    var endpoint = cmi5.launchParameters.endpoint;
    this.endpoint = endpoint.charAt(endpoint.length - 1) === "/" ? endpoint : endpoint + "/";
    this.pending = []; // statements not yet acknowledged, oldest first
    this.state = null; // the progress document still to write, or null
    this.inflight = false;
    this.again = false;
    this.retries = 0;
    this.retryTimer = null;
    this.lastOk = true;
    this.onResult = function () {};
    this.onDrained = null;
  }

  Transport.prototype._request = function (method, url, body, keepalive) {
    return global.fetch(url, {
      method: method,
      keepalive: keepalive,
      headers: {
        Authorization: "Basic " + this.cmi5.getAuthToken(),
        "X-Experience-API-Version": XAPI_VERSION,
        "Content-Type": "application/json"
      },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status + " from " + method + " " + url);
    });
  };

  Transport.prototype._stateUrl = function () {
    var p = this.cmi5.launchParameters;
    return this.endpoint + "activities/state?" + [
      "activityId=" + encodeURIComponent(p.activityId),
      "agent=" + encodeURIComponent(JSON.stringify(p.actor)),
      "stateId=" + encodeURIComponent(this.stateId),
      "registration=" + encodeURIComponent(p.registration)
    ].join("&");
  };

  Transport.prototype.add = function (statement) {
    this.pending.push(statement);
  };

  /** Send what is pending; keepalive (the page is going away) sends now even if a send is in flight. */
  Transport.prototype.flush = function (keepalive) {
    if (this.inflight && !keepalive) {
      this.again = true;
      return;
    }
    var batch = this.pending.slice();
    var state = this.state;
    if (!batch.length && !state) return;
    var self = this;
    if (this.retryTimer) global.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.inflight = true;
    function post() { return batch.length ? self._request("POST", self.endpoint + "statements", batch, keepalive) : null; }
    function put() { return state ? self._request("PUT", self._stateUrl(), state, keepalive) : null; }
    // The progress document follows its statements; when the page is going away both leave at once,
    // as keepalive requests, since nothing can be sent after the page is gone.
    var sent = keepalive ? Promise.all([post(), put()]) : Promise.resolve(post()).then(put);
    sent.then(function () {
      self.pending.splice(0, batch.length);
      if (self.state === state) self.state = null;
      self.retries = 0;
      self._done(true);
    }, function (error) {
      if (global.console) global.console.warn("cmi5: send failed: " + message(error));
      var delay = RETRY_DELAYS_MS[Math.min(self.retries++, RETRY_DELAYS_MS.length - 1)];
      self.retryTimer = global.setTimeout(function () { self.flush(false); }, delay);
      self._done(false);
    });
  };

  Transport.prototype._done = function (ok) {
    this.inflight = false;
    this.lastOk = ok;
    this.onResult(ok);
    if (ok && (this.again || this.pending.length || this.state)) {
      this.again = false;
      this.flush(false);
    } else if (ok && this.onDrained) {
      var drained = this.onDrained;
      this.onDrained = null;
      drained();
    }
  };
  global.SkarpCmi5Transport = { Transport: Transport, message: message };
})(window);
