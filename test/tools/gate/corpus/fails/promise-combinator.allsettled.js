// Promise.allSettled.
Promise.allSettled([Promise.resolve(1)]).then(function (r) { if (r[0].value === 1) console.log("OK"); });
