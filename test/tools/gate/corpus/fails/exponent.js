// The ** operator.
if (2 ** 10 === 1024) console.log("OK");
