// wsclose.js connects to a Calla server with Node.js's `ws` library (a
// third-party RFC 6455 implementation), misbehaves in one way, and prints
// how the server closed the connection as one JSON line:
//   {"code":4005,"reason":"...","errors":[]}
// `errors` lists what `ws` itself found wrong with the server's frames.
//
//   node wsclose.js URL CASE [USERSIG]
// CASE: silent | pongs | binary | badutf8
'use strict';
const WebSocket = require('ws');

const [url, kind, userSig] = process.argv.slice(2);
const ws = new WebSocket(url);
const errors = [];
let timer = null;

const login = (then) => {
  ws.send(JSON.stringify({v: 1, id: 1, type: 'login', data: {userId: 'node' + kind, userSig}}));
  ws.once('message', (data, isBinary) => {
    const m = JSON.parse(data.toString());
    if (isBinary || m.type !== 'reply' || m.error) {
      errors.push('login failed: ' + data.toString());
      ws.close();
      return;
    }
    then();
  });
};

ws.on('open', () => {
  switch (kind) {
    case 'silent':
      break;
    case 'pongs':
      // Unsolicited pongs (RFC 6455 §5.5.3 allows them as heartbeats).
      timer = setInterval(() => ws.pong(), 50);
      break;
    case 'binary':
      login(() => ws.send(Buffer.from('{"v":1,"id":2,"type":"directory"}'), {binary: true}));
      break;
    case 'badutf8':
      // A text frame whose bytes are not UTF-8 (0xC3 0x28 is an invalid
      // two-byte sequence); `ws` sends Buffers as they are.
      login(() => ws.send(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]), {binary: false}));
      break;
    default:
      errors.push('unknown case ' + kind);
      ws.close();
  }
});
ws.on('error', (err) => errors.push(String(err.message || err)));
ws.on('close', (code, reason) => {
  clearInterval(timer);
  process.stdout.write(JSON.stringify({code, reason: reason.toString(), errors}) + '\n');
});
