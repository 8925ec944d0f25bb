// Promise.any.
Promise.any([Promise.reject(0), Promise.resolve(1)]).then(function (v) { if (v === 1) console.log("OK"); });
