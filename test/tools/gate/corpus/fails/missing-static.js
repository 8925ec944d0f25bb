// Number.isInteger (measured: missing).
if (Number.isInteger(3) && !Number.isInteger(3.5)) console.log("OK");
