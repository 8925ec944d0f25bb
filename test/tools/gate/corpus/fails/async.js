// An async function.
async function f() { return 1; }
f().then(function (v) { if (v === 1) console.log("OK"); });
