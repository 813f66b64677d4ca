// An HTTPS server that requires and verifies a client certificate (Deno.serve cannot), for
// the mTLS tests. Args: port-file cert key ca. Prints one JSON line per request on stdout.
"use strict";
const fs = require("node:fs");
const https = require("node:https");

const [portFile, cert, key, ca] = process.argv.slice(2);
const server = https.createServer({
  cert: fs.readFileSync(cert),
  key: fs.readFileSync(key),
  ca: fs.readFileSync(ca),
  requestCert: true,
  rejectUnauthorized: true,
}, (req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const peer = req.socket.getPeerCertificate();
    process.stdout.write(
      JSON.stringify({
        method: req.method,
        path: req.url,
        clientCertSubject: peer && peer.subject ? peer.subject.CN : null,
        bytes: Buffer.concat(chunks).length,
      }) + "\n",
    );
    res.writeHead(200, { "content-type": "application/proto" });
    res.end();
  });
});
server.listen(0, "127.0.0.1", () => {
  fs.writeFileSync(portFile, String(server.address().port));
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
