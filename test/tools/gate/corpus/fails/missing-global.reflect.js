// Reflect.
if (Reflect.has({ a: 1 }, "a")) console.log("OK");
