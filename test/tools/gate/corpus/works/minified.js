// What terser emits: !function(){}(), comma sequences, void 0, functions used
// after their declaration, mutual recursion between functions declared before the call.
!function(){"use strict";function n(n){return n<2?n:n*t(n-1)}function t(t){return n(t)}var o=0,r=[1,2,3],e,u=void 0;for(e=0;e<r.length;e++)o+=r[e];o===6&&void 0===u&&6===n(3)&&(o=(r.push(4),r.length),console.log(4===o?"OK":"bad"))}();
