// Math.trunc (measured: missing).
if (Math.trunc(-1.5) === -1) console.log("OK");
