// Preloaded into the Agents Playground (node --require): every TCP server it starts
// listens on 127.0.0.1 only, since the Playground binds all interfaces by default.
"use strict";
const net = require("net");
const LOOPBACK = "127.0.0.1";
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (first === undefined || typeof first === "function") {
    args.unshift(0, LOOPBACK); // listen([callback]): a random port
  } else if (typeof first === "object" && first !== null && !("_handle" in first)) {
    if (first.path === undefined) args[0] = { ...first, host: LOOPBACK };
  } else if (typeof first === "number" || /^\d+$/.test(String(first))) {
    if (typeof args[1] === "string") args[1] = LOOPBACK;
    else args.splice(1, 0, LOOPBACK);
  }
  return listen.apply(this, args);
};
