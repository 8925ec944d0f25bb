// String.raw.
if (String.raw`a\nb`.length === 4) console.log("OK");
