// A callback may name a function declared after it: it runs later.
setTimeout(function () { if (later() === 1) console.log("OK"); }, 1);
function later() { return 1; }
