// The page served by `asio_server --http` in a real browser: Debian's
// chromium, driven by playwright-core (which downloads no browser).
//
//   node browser_test.mjs <path-to-asio_server> <artifact-dir>
//
// Starts the server, opens the page, says HELLO and sends messages over the
// WebSocket, watches /stats move, checks that a message that looks like HTML
// is shown as text, saves a screenshot to <artifact-dir>/page.png, then stops
// the server with SIGTERM and checks the page saw it go. Every wait is
// bounded; the whole run is limited to 60 s. Exit 0 on pass, 1 on failure.
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const HARD_LIMIT_MS = 60_000;
const XSS = "<img src=x onerror=alert(1)>";

const [serverPath, artifactArg] = process.argv.slice(2);
if (!serverPath || !artifactArg) {
  console.error("usage: node browser_test.mjs <path-to-asio_server> <artifact-dir>");
  process.exit(2);
}
const artifactDir = resolve(artifactArg);
mkdirSync(artifactDir, { recursive: true });

let passed = 0;
let failed = 0;
function check(ok, what, detail = "") {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "PASS" : "FAIL"}: ${what}${detail ? ` (${detail})` : ""}`);
  return ok;
}

let server = null; // the child process
let serverExited = null; // a promise of {code, signal}
let browser = null;
const serverOutput = [];

function killServer() {
  if (server && server.exitCode === null && server.signalCode === null) {
    try {
      process.kill(server.pid, "SIGKILL");
    } catch {}
  }
}

function finish() {
  writeFileSync(join(artifactDir, "server.log"), serverOutput.join("\n") + "\n");
  console.log(`browser_test: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

const hardLimit = setTimeout(() => {
  check(false, `the whole test within ${HARD_LIMIT_MS / 1000} s`);
  killServer();
  // playwright kills the browser it launched when this process exits.
  finish();
}, HARD_LIMIT_MS);

// A promise that rejects after ms, for racing against anything unbounded.
function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Starts the server; resolves with the HTTP listener's URL.
function startServer() {
  const args = ["--bind", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0", "--log-level", "warn"];
  server = spawn(serverPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  serverExited = new Promise((done) => server.on("exit", (code, signal) => done({ code, signal })));
  createInterface({ input: server.stderr }).on("line", (line) => serverOutput.push(`stderr: ${line}`));
  const stdout = createInterface({ input: server.stdout });
  return within(10_000, new Promise((found, fail) => {
    stdout.on("line", (line) => {
      serverOutput.push(`stdout: ${line}`);
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (match) found(match[1]);
    });
    server.on("error", fail);
    serverExited.then(({ code, signal }) =>
      fail(new Error(`the server exited (code ${code}, signal ${signal}) before listening`)));
  }), "the server's 'listening on http://' line");
}

const entries = (page, text) => page.locator("#log .entry", { hasText: text });
const numberIn = async (page, selector) =>
  Number((await page.locator(selector).textContent()).replace(/[^0-9.]/g, ""));

async function sendMessage(page, text, how) {
  const before = await entries(page, "Received").count();
  await page.fill("#message", text);
  if (how === "enter") await page.press("#message", "Enter");
  else await page.click("#send");
  await page.waitForFunction(
    (n) => [...document.querySelectorAll("#log .entry")].filter((e) => e.textContent.includes("Received")).length > n,
    before, { timeout: 5_000 });
}

async function main() {
  let url;
  try {
    url = await startServer();
  } catch (err) {
    check(false, "the server starts and prints its HTTP address", err.message);
    return;
  }
  check(true, "the server starts and prints its HTTP address", url);

  browser = await within(20_000, chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
    timeout: 15_000,
  }), "launching chromium");
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  context.setDefaultTimeout(5_000);
  const page = await context.newPage();

  const consoleErrors = [];
  const dialogs = [];
  page.on("console", (msg) => { if (msg.type() === "error") consoleErrors.push(msg.text()); });
  page.on("pageerror", (err) => consoleErrors.push(`uncaught: ${err.message}`));
  page.on("dialog", (dialog) => { dialogs.push(dialog.message()); dialog.dismiss().catch(() => {}); });
  // CSP violations are also console errors; this catches them by kind.
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation",
      (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });

  try {
    const response = await page.goto(url + "/", { waitUntil: "load", timeout: 10_000 });
    check(response.status() === 200, "GET / answers 200", `status ${response.status()}`);
    const csp = response.headers()["content-security-policy"] ?? "";
    check(csp.includes("script-src 'self'"), "GET / sends a Content-Security-Policy", csp || "none");

    await entries(page, "Hello (server)!").first().waitFor({ timeout: 5_000 });
    check(true, "HELLO is answered with 'Hello (server)!' in the log");
    check((await page.textContent("#ws-status")).includes("connected"), "#ws-status says connected");

    await page.waitForFunction(
      () => /\d/.test(document.querySelector("#requests-total")?.textContent ?? ""), null, { timeout: 5_000 });
    const totalBefore = await numberIn(page, "#requests-total");
    check(Number.isFinite(totalBefore), "#requests-total shows a number", String(totalBefore));

    await sendMessage(page, "Hello from the browser test", "click");
    check(true, "Send (click) gets 'Received' in the log");
    const rtt = await entries(page, "Received").last().textContent();
    check(/#\d+ · [0-9.]+ ms/.test(rtt), "the reply shows its request id and round-trip time", rtt);

    let totalAfter = totalBefore;
    const deadline = Date.now() + 5_000;
    while (totalAfter <= totalBefore && Date.now() < deadline) {
      await page.waitForTimeout(200);
      totalAfter = await numberIn(page, "#requests-total");
    }
    check(totalAfter > totalBefore, "#requests-total grows within 5 s", `${totalBefore} -> ${totalAfter}`);

    // A little traffic, so that the chart has something to show.
    for (let i = 1; i <= 10; i++) {
      await sendMessage(page, `message ${i} of a small burst`, "enter");
      await page.waitForTimeout(100 * (i % 4 + 1));
    }
    await page.waitForTimeout(1_200);
    const rps = await page.textContent("#rps");
    check(/^\d+(\.\d+)?$/.test(rps.trim()), "#rps shows requests per second", rps);

    await sendMessage(page, XSS, "enter");
    const xssEntry = page.locator("#log .entry .text", { hasText: XSS });
    check(await xssEntry.count() === 1 && (await xssEntry.first().textContent()) === XSS &&
          await xssEntry.first().isVisible(), "a message that looks like HTML is shown as text");
    check(await page.locator("#log img").count() === 0, "no img element inside #log");
    await page.waitForTimeout(300); // an onerror would have fired by now
    check(dialogs.length === 0, "no dialog opened", dialogs.join("; "));

    const csp_ = await page.evaluate(() => window.__cspViolations);
    check(csp_.length === 0, "no CSP violations", csp_.join("; "));
    check(consoleErrors.length === 0, "no console errors or uncaught exceptions", consoleErrors.join("; "));

    await page.screenshot({ path: join(artifactDir, "page.png") });
    console.log(`screenshot: ${join(artifactDir, "page.png")}`);

    // Shutdown: SIGTERM, then the page sees GOAWAY or the close with 1001.
    process.kill(server.pid, "SIGTERM");
    const exit = await within(10_000, serverExited, "the server's exit after SIGTERM")
      .catch((err) => ({ error: err.message }));
    check(exit.code === 0, "the server exits 0 on SIGTERM",
      exit.error ?? `code ${exit.code}, signal ${exit.signal}`);
    const goodbye = await page.locator("#log .entry", { hasText: /going away|code 1001/ }).first()
      .waitFor({ timeout: 5_000 }).then(() => true, () => false);
    check(goodbye, "the page shows the server going away (GOAWAY or close 1001)");
    check((await page.textContent("#ws-status")).includes("closed"), "#ws-status says closed");
    await page.screenshot({ path: join(artifactDir, "page-after-shutdown.png") });
  } catch (err) {
    check(false, "the page test ran to its end", err.message.split("\n")[0]);
    await page.screenshot({ path: join(artifactDir, "page.png") }).catch(() => {});
  }
}

try {
  await main();
} catch (err) {
  check(false, "the test ran", err.message.split("\n")[0]);
} finally {
  clearTimeout(hardLimit);
  killServer();
  if (browser) await within(5_000, browser.close(), "closing chromium").catch(() => {});
  if (failed) for (const line of serverOutput.slice(-20)) console.log(`  server ${line}`);
  finish();
}
