// The HTTP floor beside the raw ceiling: a bare node:http server that reads the body and answers
// one RS256-signed JWT per request (crypto.sign, nothing else: no parsing, no client check, no
// store). What any Node token endpoint pays for HTTP on top of the signature; the token benchmark
// reports it so gatehouse's own overhead can be told apart from Node's.
// With POOL=1 it signs on libuv's thread pool (`crypto.sign` with a callback), as gatehouse does:
// the floor for a server that signs off the event loop.
// Run as a child process: `PORT=... [POOL=1] node bench/peers/http-sign-server.mjs`; prints READY.
import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 0);
const onPool = process.env.POOL === '1';
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: 'k' })).toString('base64url');
const headers = { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' };
let n = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const iat = Math.floor(Date.now() / 1000);
    const claims = { iss: 'http://127.0.0.1/', sub: 'c', aud: 'a', iat, exp: iat + 3600, jti: String(n++) };
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    if (onPool) {
      sign('sha256', Buffer.from(input), privateKey, (err, signature) => {
        if (err) return res.destroy(err);
        res.writeHead(200, headers);
        res.end(
          `{"access_token":"${input}.${signature.toString('base64url')}","token_type":"Bearer","expires_in":3600}`,
        );
      });
      return;
    }
    const token = `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
    res.writeHead(200, headers);
    res.end(`{"access_token":"${token}","token_type":"Bearer","expires_in":3600}`);
  });
});
server.listen(port, '127.0.0.1', () =>
  console.log(`READY ${JSON.stringify({ url: `http://127.0.0.1:${port}` })}`),
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
