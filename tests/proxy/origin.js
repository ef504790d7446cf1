// A plain Node.js origin for the proxy tests (no framework): `node origin.js` listens on a free
// 127.0.0.1 port and prints it on its first line of stdout.
"use strict";
const http = require("http");

const hits = {};
let inFlight = 0;
const page = (body) =>
  `<!doctype html><html><head><title>node</title>` +
  `<script async src="https://www.googletagmanager.com/gtag/js?id=G-NODE1"></script>` +
  `</head><body>${body}</body></html>`;

function send(res, status, headers, body) {
  res.writeHead(status, headers);
  res.end(body);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://origin");
  const origin = `http://${server.address().address}:${server.address().port}`;
  hits[url.pathname] = (hits[url.pathname] || 0) + 1;
  switch (url.pathname) {
    case "/echo": {
      let size = 0;
      req.on("data", (chunk) => { size += chunk.length; });
      req.on("end", () => send(res, 200, { "content-type": "application/json" },
        JSON.stringify({ method: req.method, url: req.url, headers: req.rawHeaders, bodyBytes: size })));
      return;
    }
    case "/hits":
      send(res, 200, { "content-type": "application/json" }, JSON.stringify(hits));
      return;
    case "/slow":
      // Answers after 300 ms, counting how many are in flight at once.
      inFlight += 1;
      hits.maxInFlight = Math.max(hits.maxInFlight || 0, inFlight);
      setTimeout(() => { inFlight -= 1; send(res, 200, { "content-type": "text/plain" }, "slow"); }, 300);
      return;
    case "/hop":
      // Hop-by-hop headers of this connection, which a proxy must not pass on.
      res.setHeader("Connection", "keep-alive, X-Hop-Named");
      res.setHeader("X-Hop-Named", "1");
      res.setHeader("Keep-Alive", "timeout=5");
      res.setHeader("Proxy-Authenticate", "Basic realm=origin");
      res.setHeader("X-Kept", "yes");
      res.setHeader("Via", "1.1 origin-cache");
      send(res, 200, { "content-type": "text/plain" }, "hop");
      return;
    case "/cookies":
      res.setHeader("Set-Cookie", [
        "_ga=GA1.1.1234.5678; Domain=127.0.0.1; Path=/; Max-Age=3600",
        "_fbp=fb.1.1234.5678; Domain=.127.0.0.1; Path=/",
        "session=abc123; Path=/; HttpOnly",
        "prefs=a,b; Domain=127.0.0.1; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT",
        "theme=dark; Domain=other.example; Path=/",
      ]);
      send(res, 200, { "content-type": "text/html; charset=utf-8" }, page("<p>cookies</p>"));
      return;
    case "/redirect":
      send(res, 302, {
        location: `${origin}/landing?from=redirect`,
        "content-location": `${origin}/redirect.html`,
        refresh: `3; url=${origin}/later`,
        "content-type": "text/plain",
      }, "moved");
      return;
    case "/preload":
      // Link headers as frameworks and CDNs send them: a tracker's script, and the site's own style.
      res.setHeader("Link", [
        "<https://www.googletagmanager.com/gtag/js?id=G-NODE1>; rel=preload; as=script",
        "</site.css>; rel=preload; as=style, <https://www.facebook.com/tr?id=1>; rel=prefetch",
      ]);
      send(res, 200, { "content-type": "text/html; charset=utf-8" }, page("<p>preload</p>"));
      return;
    case "/elsewhere":
      send(res, 302, { location: "https://example.org/away" }, "");
      return;
    case "/sse": {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      let n = 0;
      const tick = setInterval(() => {
        n += 1;
        res.write(`data: event ${n}\n\n`);
        if (n === 3) { clearInterval(tick); res.end(); }
      }, 400);
      req.on("close", () => clearInterval(tick));
      return;
    }
    case "/download": {
      const total = Number(url.searchParams.get("bytes") || "0");
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(total) });
      const block = Buffer.alloc(256 * 1024, 120);
      let left = total;
      res.on("close", () => { if (left > 0) hits["/download:aborted"] = (hits["/download:aborted"] || 0) + 1; });
      const pump = () => {
        while (left > 0) {
          const piece = left >= block.length ? block : block.subarray(0, left);
          left -= piece.length;
          if (!res.write(piece)) { res.once("drain", pump); return; }
        }
        res.end();
      };
      pump();
      return;
    }
    case "/cut":
      // Promises a megabyte, sends a little, then drops the connection.
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": "1000000" });
      res.write(Buffer.alloc(300000, 97));
      setTimeout(() => req.socket.destroy(), 100);
      return;
    case "/cut-page":
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.write(page("<p>the start of a page</p>" + "<p>filler</p>".repeat(30000)));
      setTimeout(() => req.socket.destroy(), 100);
      return;
    case "/hang":
      return; // never answers
    case "/slow-body":
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": "20" });
      res.write("0123456789");
      return; // the rest never comes
    default:
      send(res, 404, { "content-type": "text/plain" }, "not here");
  }
});
server.on("connection", () => { hits.connections = (hits.connections || 0) + 1; });
server.keepAliveTimeout = 30000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${server.address().port}\n`);
});
