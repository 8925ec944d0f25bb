// Object.is.
if (Object.is(NaN, NaN) && !Object.is(0, -0)) console.log("OK");
