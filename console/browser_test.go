package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/veilchain/veil/chain"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "write docs/console-audit.png from the browser test")

// browserTimeout bounds one browser test, the network's start included.
const browserTimeout = 60 * time.Second

// headless starts Debian's chromium (headless, no sandbox: CI runs as
// root) at 1280 px and returns a tab's context, bounded by browserTimeout;
// it skips the test where chromium is missing. Uncaught exceptions of the
// page fail the test.
func headless(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (Debian: apt-get install chromium; .ci/run installs it): the browser tests of the audit workspace need it")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Headless,
		chromedp.DisableGPU, chromedp.WindowSize(1280, 900), chromedp.Flag("lang", "en-GB"))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	if err := chromedp.Do(ctx); err != nil {
		cancelTab()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	var mu sync.Mutex
	var exceptions []string
	console := chromedp.Console(ctx)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleException {
				mu.Lock()
				exceptions = append(exceptions, fmt.Sprintf("%s (%s:%d)", m.Text, m.URL, m.Line))
				mu.Unlock()
			}
		}
	}()
	tctx, cancelTimeout := context.WithTimeout(ctx, browserTimeout)
	t.Cleanup(func() {
		cancelTimeout()
		mu.Lock()
		for _, e := range exceptions {
			t.Errorf("uncaught exception in the page: %s", e)
		}
		mu.Unlock()
		cancelTab()
		cancelAlloc()
	})
	return tctx
}

// waitFor polls a JavaScript predicate until it holds.
func waitFor(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('main') ? document.querySelector('main').innerText.slice(0, 2000) : ''`))
		t.Fatalf("%s: %v\npage:\n%s", what, err, html)
	}
}

func evalString(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return s
}

func cdo(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// screenshot saves the whole page as name.png among the test's artifacts
// and returns it.
func screenshot(t *testing.T, ctx context.Context, name string) []byte {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(t.ArtifactDir(), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("VEIL_ARTIFACTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err == nil {
			_ = os.WriteFile(filepath.Join(dir, "console-"+name+".png"), png, 0o644)
		}
	}
	return png
}

// noOverflow checks that the page is readable at its width: nothing wider
// than the viewport but the tables' own scrolling boxes.
func noOverflow(t *testing.T, ctx context.Context, width int) {
	t.Helper()
	if w := evalString(t, ctx, `String(document.documentElement.scrollWidth)`); w != fmt.Sprint(width) {
		t.Errorf("at %d px the page is %s px wide (widest: %s)", width, w, evalString(t, ctx, fmt.Sprintf(`(() => { let best = null; for (const el of document.querySelectorAll("body *")) { if (el.parentElement && el.parentElement.closest(".table-wrap, pre")) continue; const r = el.getBoundingClientRect(); if (r.right > %d + 1 && (!best || r.right > best.r)) best = {r: r.right, d: el.tagName + "#" + el.id + "." + el.className}; } return best ? best.d + " " + best.r : ""; })()`, width)))
	}
}

// TestBrowserAuditWorkspace drives the audit workspace in headless
// chromium against a real node: the recent anonymous transactions are
// listed, "Open" names the right member with the proof and the evidence,
// the downloaded bundle is the logged one and checks against the CA, the
// check page passes it and fails a tampered one with its condition, the
// log lists the openings, keyboard submission works, the page reads at
// 1280 and 390 px, and no response carries the opener key.
func TestBrowserAuditWorkspace(t *testing.T) {
	ctx := headless(t)
	tn := startNet(t)
	alice := tn.send(t, "alice", "orders", "pay 10")
	bob := tn.send(t, "bob", "payroll", "pay 20")
	ts, srv, kw := startConsole(t, tn, true, true)
	ca := tn.ca(t)
	downloads := t.TempDir()

	cdo(t, ctx, "open the workspace", chromedp.Navigate(ts.URL+"/"),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: new(true)})
			return err
		}))
	waitFor(t, ctx, "the workspace starts", `document.documentElement.dataset.ready === 'true'`)
	if mode := evalString(t, ctx, `document.querySelector('#mode').textContent`); !strings.Contains(mode, "group acme") || !strings.Contains(mode, "never leaves") {
		t.Fatalf("mode line: %q", mode)
	}
	waitFor(t, ctx, "both transactions listed", fmt.Sprintf(`!!document.querySelector('#recent-txs tr[data-tx="%s"]') && !!document.querySelector('#recent-txs tr[data-tx="%s"]')`, alice, bob))

	// Open alice's transaction from the list.
	cdo(t, ctx, "click Open", chromedp.Click(chromedp.CSS(fmt.Sprintf(`button[data-open="%s"]`, alice))))
	waitFor(t, ctx, "alice's transaction opened", `(document.querySelector('#opened-label') || {}).textContent === 'alice'`)
	if got := evalString(t, ctx, `document.activeElement.id`); got != "opened-h" {
		t.Errorf("focus after opening is on %q, not the result's heading", got)
	}
	if org := evalString(t, ctx, `document.querySelector('#opened-org').textContent`); org != "org-alice" {
		t.Errorf("organisation %q", org)
	}
	if op := evalString(t, ctx, `document.querySelector('#opened-opening').textContent`); len(op) < 64 {
		t.Errorf("the opening shown: %q", op)
	}
	waitFor(t, ctx, "the bundle hashes to the logged digest", `(document.querySelector('#evidence-sha-match') || {dataset: {}}).dataset.match === 'true'`)
	screenshot(t, ctx, "audit-open-1280")
	if *updateScreenshots {
		png := screenshot(t, ctx, "audit-open-docs")
		if err := os.WriteFile(filepath.Join("..", "docs", "console-audit.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("wrote docs/console-audit.png")
	}

	// Download the bundle: a Blob named evidence-<tx>.json holding the
	// logged bundle, which checks against the CA.
	begin := chromedp.Events(ctx, browser.DownloadWillBegin)
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	cdo(t, ctx, "click Download", chromedp.Click(chromedp.ID("evidence-download")))
	var name, guid string
	for ev, err := range begin {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		name, guid = ev.SuggestedFilename, ev.GUID
		break
	}
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.GUID == guid && ev.State == browser.DownloadProgressStateCompleted {
			break
		}
	}
	if name != "evidence-"+alice+".json" {
		t.Errorf("the download is named %q", name)
	}
	file, err := os.ReadFile(filepath.Join(downloads, guid))
	if err != nil {
		t.Fatal(err)
	}
	var ev chain.Evidence
	if err := json.Unmarshal(file, &ev); err != nil {
		t.Fatalf("the downloaded bundle: %v", err)
	}
	if f, err := ev.Check(ca); err != nil || f.Member.Label != "alice" || hex.EncodeToString(f.TxID[:]) != alice {
		t.Fatalf("the downloaded bundle checks: %v %v", f, err)
	}
	entries, _, err := srv.log.Entries()
	if err != nil || len(entries) != 1 {
		t.Fatalf("log after one opening: %v %v", entries, err)
	}
	if sum := sha256.Sum256(file); hex.EncodeToString(sum[:]) != entries[0].EvidenceSHA256 {
		t.Fatalf("the downloaded file hashes to %x, the log says %s", sum, entries[0].EvidenceSHA256)
	}
	genuine := filepath.Join(t.TempDir(), "evidence-alice.json")
	if err := os.WriteFile(genuine, file, 0o644); err != nil {
		t.Fatal(err)
	}

	// Open bob's with the keyboard: type the id, Enter.
	cdo(t, ctx, "type bob's id", chromedp.Evaluate[chromedp.Void](`document.querySelector('#tx-id').value = ''`), chromedp.SendKeys(chromedp.ID("tx-id"), bob+"\r"))
	waitFor(t, ctx, "bob's transaction opened", `(document.querySelector('#opened-label') || {}).textContent === 'bob'`)
	// A bad id is refused on the page, with the field marked.
	cdo(t, ctx, "type a bad id", chromedp.Evaluate[chromedp.Void](`document.querySelector('#tx-id').value = ''`), chromedp.SendKeys(chromedp.ID("tx-id"), "xyz\r"))
	waitFor(t, ctx, "the bad id is flagged", `document.querySelector('#tx-id').getAttribute('aria-invalid') === 'true' && document.querySelector('#tx-id-err').textContent !== ''`)

	// Check evidence: the genuine bundle passes, a tampered one fails
	// with the failed condition named.
	cdo(t, ctx, "the check tab", chromedp.Click(chromedp.CSS(`.tabs a[data-tab="check"]`)))
	waitFor(t, ctx, "the check tab shows", `!document.querySelector('#tab-check').hidden && document.querySelector('#tab-open').hidden`)
	cdo(t, ctx, "pick the genuine bundle", chromedp.SetUploadFiles(chromedp.ID("ev-file"), []string{genuine}))
	waitFor(t, ctx, "the genuine bundle is valid", `!!document.querySelector('#check-result [data-valid="true"]') && document.querySelector('#check-label').textContent === 'alice'`)
	if text := evalString(t, ctx, `document.querySelector('#check-result').innerText`); !strings.Contains(text, "org-alice") || !strings.Contains(text, "all five conditions") {
		t.Errorf("valid check shows:\n%s", text)
	}
	screenshot(t, ctx, "audit-check-valid-1280")
	var m map[string]any
	if err := json.Unmarshal(file, &m); err != nil {
		t.Fatal(err)
	}
	ge := m["group_evidence"].(map[string]any)
	op := []byte(ge["opening"].(string))
	op[len(op)-5] = map[bool]byte{true: '1', false: '0'}[op[len(op)-5] == '0']
	ge["opening"] = string(op)
	tamperedJSON, _ := json.MarshalIndent(m, "", "  ")
	tampered := filepath.Join(t.TempDir(), "evidence-tampered.json")
	if err := os.WriteFile(tampered, tamperedJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	cdo(t, ctx, "pick the tampered bundle", chromedp.SetUploadFiles(chromedp.ID("ev-file"), []string{tampered}))
	waitFor(t, ctx, "the tampered bundle is invalid", `!!document.querySelector('#check-result [data-valid="false"][data-condition="1"]')`)
	if text := evalString(t, ctx, `document.querySelector('#check-condition').textContent`); !strings.Contains(text, "condition 1 failed") {
		t.Errorf("invalid check says %q", text)
	}
	screenshot(t, ctx, "audit-check-invalid-1280")

	// The regulator's log: both openings, newest first.
	cdo(t, ctx, "the log tab", chromedp.Click(chromedp.CSS(`.tabs a[data-tab="log"]`)))
	waitFor(t, ctx, "the log lists both openings", `document.querySelectorAll('#log-entries tbody tr').length === 2`)
	rows := evalString(t, ctx, `[...document.querySelectorAll('#log-entries tbody tr')].map((r) => r.dataset.tx + ' ' + r.querySelector('th').textContent).join('\n')`)
	if rows != bob+" bob\n"+alice+" alice" {
		t.Errorf("log rows:\n%s", rows)
	}
	screenshot(t, ctx, "audit-log-1280")

	// A phone's width: every tab reads without sideways scrolling.
	cdo(t, ctx, "390 px", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	for _, tab := range []string{"log", "check", "open"} {
		cdo(t, ctx, "tab "+tab, chromedp.Click(chromedp.CSS(fmt.Sprintf(`.tabs a[data-tab="%s"]`, tab))))
		waitFor(t, ctx, "tab "+tab+" shows", fmt.Sprintf(`!document.querySelector('#tab-%s').hidden`, tab))
		noOverflow(t, ctx, 390)
		screenshot(t, ctx, "audit-"+tab+"-390")
	}
	cdo(t, ctx, "1280 px", chromedp.EmulateViewport(1280, 900))

	// The node's pages through the console: the Audit link appears.
	cdo(t, ctx, "the overview", chromedp.Navigate(ts.URL+"/ui/"))
	waitFor(t, ctx, "the Audit link", `!document.querySelector('#nav-audit').hidden`)

	if n := kw.responses(); n < 20 {
		t.Errorf("only %d responses watched for the key", n)
	}
}

// TestBrowserWorkspaceOnANode: the page served by a node (no /audit/*)
// says that the workspace is veil audit console's, and opens nothing.
func TestBrowserWorkspaceOnANode(t *testing.T) {
	ctx := headless(t)
	tn := startNet(t)
	cdo(t, ctx, "a node's audit.html", chromedp.Navigate(tn.url+"/ui/audit.html"))
	waitFor(t, ctx, "it says it is not the workspace", `!!document.querySelector('#not-audit')`)
	if text := evalString(t, ctx, `document.querySelector('#not-audit').textContent`); !strings.Contains(text, "veil audit console") {
		t.Errorf("not-audit text: %q", text)
	}
}
