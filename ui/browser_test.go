package ui_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/veilchain/veil/chain"
	"github.com/veilchain/veil/client"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "write the overview's screenshot to docs/console-overview.png (for the README)")

// chromium finds Debian's chromium, or skips the test (fails it under CI,
// which installs chromium in .ci/run and must run these tests).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "chromium is not in PATH: the console's browser tests drive Debian's chromium headless (apt-get install chromium; .ci/run installs it)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + "; CI must run them")
	}
	t.Skip(msg)
	return ""
}

// browser is one headless chromium for a test; each subtest opens a tab.
type browser struct{ root context.Context }

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // the tests may run as root
		chromedp.Flag("disable-gpu", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(root); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{root: root}
}

// tab is a browser tab for one subtest, open at a URL, 1280 px wide, whose
// actions end after timeout. An uncaught exception of the page's script
// fails the subtest.
type tab struct {
	t   *testing.T
	tab context.Context // the tab's context, without the timeout
	ctx context.Context
	mu  sync.Mutex
	exc []string
}

func (b *browser) open(t *testing.T, url string, timeout time.Duration) *tab {
	t.Helper()
	tctx, cancelTab := chromedp.NewContext(b.root)
	t.Cleanup(cancelTab)
	if err := chromedp.Do(tctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	tb := &tab{t: t, tab: tctx}
	msgs := chromedp.Console(tctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleException {
				tb.mu.Lock()
				tb.exc = append(tb.exc, fmt.Sprintf("%s (%s:%d)", m.Text, m.URL, m.Line+1))
				tb.mu.Unlock()
			}
		}
	}()
	ctx, cancel := context.WithTimeout(tctx, timeout)
	t.Cleanup(cancel)
	t.Cleanup(func() {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, e := range tb.exc {
			t.Errorf("the page threw: %s", e)
		}
	})
	tb.ctx = ctx
	tb.do(chromedp.EmulateViewport(1280, 900), chromedp.Navigate(url))
	return tb
}

func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		tb.t.Fatal(err)
	}
}

// visit follows a console route (a hash such as #/block/3) in the tab.
func (tb *tab) visit(route string) {
	tb.t.Helper()
	tb.eval(fmt.Sprintf("location.hash = %q", route))
}

// eval returns a JavaScript expression's value as text.
func (tb *tab) eval(expr string) string {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[string](fmt.Sprintf("String(%s)", expr)))
	if err != nil {
		tb.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// text is the text of the first element matching a CSS selector, "" if
// there is none.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return tb.eval(fmt.Sprintf("document.querySelector(%q)?.textContent.trim() ?? ''", sel))
}

// wait waits until a JavaScript expression is true, as a user waits to
// see something; it fails the subtest with what was awaited and where the
// page stood.
func (tb *tab) wait(what, expr string) {
	tb.t.Helper()
	_, err := chromedp.Run(tb.ctx, chromedp.Poll[chromedp.Void](fmt.Sprintf("(() => { try { return !!(%s) } catch { return false } })()", expr),
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		ctx, cancel := context.WithTimeout(tb.tab, 2*time.Second)
		defer cancel()
		where, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("location.hash + ' ' + document.querySelector('#main')?.innerText.slice(0, 400)"))
		tb.t.Fatalf("waiting for %s: %v\npage %s", what, err, where)
	}
}

// waitText waits until the element's text contains want.
func (tb *tab) waitText(sel, want string) {
	tb.t.Helper()
	tb.wait(fmt.Sprintf("%s to show %q (it shows %q)", sel, want, tb.text(sel)),
		fmt.Sprintf("(document.querySelector(%q)?.textContent ?? '').includes(%q)", sel, want))
}

// rendered waits until the console has rendered the route it is at.
func (tb *tab) rendered(route string) {
	tb.t.Helper()
	tb.wait("route "+route+" rendered", fmt.Sprintf("location.hash === %q && document.querySelector('#main').dataset.ready === 'true'", route))
}

// shot saves a PNG of the whole page in the subtest's artifact directory
// (go test -artifacts keeps them) and returns it.
func (tb *tab) shot(name string) []byte {
	tb.t.Helper()
	// Let the last render settle (fonts, the chart's redraw).
	time.Sleep(300 * time.Millisecond)
	png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(tb.t.ArtifactDir(), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	tb.t.Logf("screenshot %s", path)
	return png
}

// TestConsole runs a real local network (a validator and an observer,
// group acme founded by five members), acts on it through the API, and
// checks in headless chromium what the console shows: the overview's
// height rising after a transaction, a block with its transactions'
// codes (one refused in the block), a transaction's page, the block list
// following new blocks, search, a tagged topic's tally, a revoked member
// and a pending join on the group's page, and the banner when the node is
// not ready and when it is down. Each page is saved as a screenshot.
func TestConsole(t *testing.T) {
	b := newBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tn := startNet(t, 2, 1, "alice", "bob", "carol", "dave", "erin")
	tn.waitReady(ctx)
	tn.commit(ctx, tn.ruleTx(ctx, "vote", chain.TopicRule{Tagged: true}))
	// A few blocks of activity for the overview's chart.
	for i := range 6 {
		tn.commit(ctx, tn.anon(ctx, "erin", "news", fmt.Sprintf("bulletin %d", i), false))
	}

	var news string // an anonymous transaction committed during the overview
	var newsHeight uint64

	t.Run("Overview", func(t *testing.T) {
		tb := b.open(t, tn.url(1)+"/ui/", 30*time.Second)
		tb.rendered("")
		tb.wait("the overview's height", "Number(document.querySelector('#height')?.textContent) > 0")
		tb.waitText(`#nodes-table tr[data-node="node-1"] .role`, "validator")
		tb.waitText(`#nodes-table tr[data-node="node-2"] .role`, "observer")
		tb.waitText(`#nodes-table tr[data-node="node-2"] .health`, "in sync")
		tb.waitText("#leader", "node-1")
		tb.waitText(`#nodes-table tr[data-node="node-1"]`, "leader")
		if m := tb.text("#mempool"); !strings.HasSuffix(m, "transactions") && !strings.HasSuffix(m, "transaction") {
			t.Errorf("mempool shows %q", m)
		}
		before, _ := strconv.Atoi(tb.text("#height"))
		ids, h := tn.commit(ctx, tn.anon(ctx, "alice", "news", "hello console", false))
		news, newsHeight = ids[0], h
		tb.wait(fmt.Sprintf("the height to rise from %d to %d", before, h), fmt.Sprintf("Number(document.querySelector('#height').textContent) >= %d", h))
		if got := tb.text("#head-hash"); len(got) != 64 {
			t.Errorf("head hash shows %q", got)
		}
		tb.wait("the chart to count blocks", "!document.querySelector('#block-rate').textContent.startsWith('0.0')")
		// The observer's height comes by gossip, a second or so behind.
		tb.wait("node-2 at the head", `document.querySelector('#nodes-table tr[data-node="node-2"] td.num').textContent === document.querySelector('#height').textContent`)
		png := tb.shot("overview")
		if *updateScreenshots {
			if err := os.MkdirAll("../docs", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile("../docs/console-overview.png", png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Log("wrote docs/console-overview.png")
		}
		// The keyboard: Tab past the skip link and the brand to the
		// navigation, with a visible focus ring; Enter follows the link.
		tb.do(chromedp.KeyEvent("\t\t\t\t"))
		if got := tb.eval("document.activeElement.textContent"); got != "Blocks" {
			t.Errorf("four Tabs focus %q, want the Blocks link", got)
		}
		if got := tb.eval("getComputedStyle(document.activeElement).outlineStyle"); got == "none" {
			t.Error("the focused link has no visible outline")
		}
		tb.do(chromedp.KeyEvent("\r"))
		tb.rendered("#/blocks")
		tb.visit("#/")
		tb.rendered("#/")
		// A phone's width: nothing wider than the screen but the tables,
		// which scroll on their own.
		tb.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		tb.wait("the overview to fit 390 px", "document.documentElement.scrollWidth <= window.innerWidth + 1")
		tb.shot("overview-390px")
	})

	t.Run("Blocks", func(t *testing.T) {
		if news == "" {
			t.Skip("the overview made no transaction")
		}
		tb := b.open(t, fmt.Sprintf("%s/ui/#/block/%d", tn.url(2), newsHeight), 30*time.Second)
		row := fmt.Sprintf(`#txs tr[data-id="%s"]`, news)
		tb.waitText(row+" .kind", "anonymous")
		tb.waitText(row+" .result", "ok")
		tb.wait("the row's audit hook", fmt.Sprintf(`document.querySelector('%s').dataset.tx === %q && document.querySelector('%s .audit-open') !== null`, row, news, row))
		tb.waitText("#block-proposer", "node-1")
		if got := tb.text("#tx-root"); len(got) != 64 {
			t.Errorf("tx root shows %q", got)
		}
		tb.shot("block")

		// The transaction's page, reached by its link.
		tb.do(chromedp.Click(chromedp.CSS(row + " a[href^='#/tx/']")))
		tb.rendered("#/tx/" + news)
		tb.waitText("#tx-kind", "anonymous")
		tb.waitText("#tx-code", "ok")
		tb.waitText("#tx-group", "acme")
		tb.waitText("#tx-topic", "news")
		tb.waitText("#tx-tagged", "untagged")
		tb.waitText("#payload", "hello console")
		tb.wait("no opening recorded", `document.querySelector('#openings [data-openings="none"]') !== null`)
		tb.wait("the page's audit hook", fmt.Sprintf(`document.querySelector('#tx').dataset.tx === %q && document.querySelector('#tx .audit-open') !== null`, news))
		tb.shot("tx")

		// The block list follows a new block.
		tb.visit("#/blocks")
		tb.rendered("#/blocks")
		tb.wait("the list to start at the head", fmt.Sprintf(`Number(document.querySelector('#blocks tbody tr').dataset.height) >= %d`, newsHeight))
		_, h := tn.commit(ctx, tn.anon(ctx, "bob", "news", "a later block", false))
		tb.wait(fmt.Sprintf("block %d at the top of the list", h), fmt.Sprintf(`document.querySelector('#blocks tbody tr').dataset.height === '%d'`, h))
		tb.shot("blocks")

		// Search: by height, by transaction id, by block hash.
		search := func(q, route string) {
			t.Helper()
			tb.do(chromedp.SetValue(chromedp.CSS("#q"), q), chromedp.Click(chromedp.CSS("#search button")))
			tb.rendered(route)
		}
		search(strconv.FormatUint(newsHeight, 10), fmt.Sprintf("#/block/%d", newsHeight))
		search(news, "#/tx/"+news)
		blk, err := tn.c(1).Block(ctx, newsHeight)
		if err != nil {
			t.Fatal(err)
		}
		search(blk.Hash, fmt.Sprintf("#/block/%d", newsHeight))
		search(strings.Repeat("ab", 32), "#/search/"+strings.Repeat("ab", 32))
		tb.waitText("#search-result", "no block among the latest")
	})

	t.Run("TopicTally", func(t *testing.T) {
		tn.commit(ctx, tn.anon(ctx, "alice", "vote", "yes", true))
		tb := b.open(t, tn.url(1)+"/ui/#/topic/vote", 30*time.Second)
		tb.waitText("#rule-tagged", "yes")
		tb.waitText("#rule-groups", "every group")
		tb.waitText("#rule-closes", "never")
		tb.waitText("#tally", "1")
		// Bob votes while the page is open; then Alice votes again, which
		// the node refuses: two members, two in the tally.
		tn.commit(ctx, tn.anon(ctx, "bob", "vote", "no", true))
		tb.waitText("#tally", "2")
		tn.refused(ctx, tn.anon(ctx, "alice", "vote", "again", true), "already_acted")
		tb.visit("#/topics")
		tb.rendered("#/topics")
		tb.wait("vote among the topics seen", `document.querySelector('#seen-topics a[href="#/topic/vote"]') !== null`)
		tb.shot("topics")
		tb.do(chromedp.SetValue(chromedp.CSS("#topic-q"), "vote"), chromedp.Click(chromedp.CSS("#topic-form button")))
		tb.rendered("#/topic/vote")
		tb.waitText("#tally", "2")
		if n := tb.eval("document.querySelectorAll('#topic-tx-list li[data-tx] > .audit-open').length"); n != "2" {
			t.Errorf("the topic lists %s transactions, want the 2 committed votes", n)
		}
		tb.shot("topic")
	})

	t.Run("GroupRevoked", func(t *testing.T) {
		// A join request nobody answers yet.
		tn.commit(ctx, tn.joinRequestTx(ctx, "frank", "org-frank"))
		// Revoke dave, and race a transaction of carol's under the old
		// epoch into the same block: the block refuses it (stale_epoch).
		// If the block producer's tick falls between the two, the node
		// drops carol's transaction instead; then try again with the next.
		var refusedID string
		var refusedHeight uint64
		revoked := ""
		for _, label := range []string{"dave", "erin", "bob"} {
			if revoked == "" {
				revoked = label
			}
			up, err := tn.c(1).UpdateMemberKey(ctx, group, tn.members["carol"])
			if err != nil {
				t.Fatal(err)
			}
			tn.members["carol"] = up
			late := tn.anon(ctx, "carol", "news", "signed before the revocation", false)
			rev := tn.revokeTx(ctx, label)
			// Submit both just after a block commits: the producer's next
			// tick is then furthest away.
			sctx, stopStream := context.WithCancel(ctx)
			stream, err := tn.c(1).Events(sctx, client.EventsOptions{})
			if err != nil {
				t.Fatal(err)
			}
			fillerID := tn.submit(ctx, tn.anon(ctx, "carol", "news", "a block to follow", false))
			for ev := range stream.C {
				if ev.Type == "tx" && ev.Tx.ID == fillerID {
					break
				}
			}
			stopStream()
			revID := tn.submit(ctx, rev)
			lateID, lateErr := tn.c(1).Submit(ctx, late)
			var revHeight uint64
			waitFor(t, ctx, "the revocation committed", func() bool {
				r, err := tn.c(1).Tx(ctx, revID)
				if err == nil && r.Status == "committed" {
					revHeight = *r.Height
					return true
				}
				return false
			})
			if lateErr != nil {
				t.Logf("carol's transaction was refused at submission (%v); again", lateErr)
				continue
			}
			// Carol's transaction leaves the mempool: into a block, or dropped.
			waitFor(t, ctx, "carol's transaction out of the mempool", func() bool {
				_, err := tn.c(1).Tx(ctx, lateID)
				return client.IsCode(err, "not_found")
			})
			code, h := blockCode(ctx, tn.c(1), lateID, revHeight)
			if code == "stale_epoch" {
				refusedID, refusedHeight = lateID, h
				break
			}
			t.Logf("carol's transaction: code %q at height %d; again", code, h)
		}
		tb := b.open(t, tn.url(1)+"/ui/#/group/acme", 30*time.Second)
		tb.rendered("#/group/acme")
		tb.waitText(`#members tr[data-label="`+revoked+`"] .state-cell`, "revoked")
		tb.waitText(`#members tr[data-label="alice"] .state-cell`, "active")
		tb.waitText(`#epochs tr[data-epoch="1"]`, revoked)
		tb.waitText(`#pending tr[data-label="frank"]`, "org-frank")
		tb.waitText("#committee", "No committee is active")
		tb.shot("group")
		tb.visit("#/groups")
		tb.rendered("#/groups")
		tb.wait("acme's epoch in the list of groups", `document.querySelector('#groups tr[data-group="acme"] .epoch').textContent !== '…' && document.querySelector('#groups tr[data-group="acme"] .epoch').textContent !== '0'`)
		tb.shot("groups")
		if refusedID == "" {
			t.Log("no transaction was refused in a block (the block producer's tick fell between the revocation and the transaction each time); the block page's valid codes are checked in Blocks")
			return
		}
		tb.visit(fmt.Sprintf("#/block/%d", refusedHeight))
		row := fmt.Sprintf(`#txs tr[data-id="%s"]`, refusedID)
		tb.waitText(row+" .result", "stale_epoch")
		tb.waitText("#block-txs", "refused in the block")
		tb.shot("block-refused")
		tb.do(chromedp.Click(chromedp.CSS(row + " a[href^='#/tx/']")))
		refusedRoute := fmt.Sprintf("#/tx/%s/block/%d", refusedID, refusedHeight)
		tb.rendered(refusedRoute)
		tb.waitText("#tx-code", "stale_epoch")
		tb.shot("tx-refused")
		// The API does not index it by id; search finds it in its block.
		tb.visit("#/")
		tb.rendered("#/")
		tb.do(chromedp.SetValue(chromedp.CSS("#q"), refusedID), chromedp.Click(chromedp.CSS("#search button")))
		tb.rendered(refusedRoute)
	})

	t.Run("NotReadyThenDown", func(t *testing.T) {
		// The observer's console; then the validator stops, and the
		// observer knows no leader; then the observer stops too.
		tb := b.open(t, tn.url(2)+"/ui/", 30*time.Second)
		tb.rendered("")
		tb.waitText(`#nodes-table tr[data-node="node-2"] .role`, "observer")
		if got := tb.eval("document.querySelector('#banner').hidden"); got != "true" {
			t.Errorf("a banner shows while the network is up: %q", tb.text("#banner"))
		}
		height := tb.text("#height")
		tn.stop(1)
		tb.wait("the not-ready banner", `document.querySelector('#banner').dataset.state === 'not-ready' && !document.querySelector('#banner').hidden`)
		tb.waitText("#banner", "not ready")
		tb.waitText(`#nodes-table tr[data-node="node-1"] .health`, "down")
		tb.shot("not-ready")
		tn.stop(2)
		tb.wait("the unreachable banner", `document.querySelector('#banner').dataset.state === 'down'`)
		tb.waitText("#banner", "Cannot reach the node")
		if got := tb.text("#height"); got != height {
			t.Errorf("the height shows %q once the node is down, want the last one seen, %s", got, height)
		}
		tb.shot("down")
	})
}

// blockCode finds tx id in the blocks from height from to the head (a
// transaction refused in a block is in the block, not in the index of
// transactions) and returns the code its block recorded and the height;
// "" if no block holds it.
func blockCode(ctx context.Context, c *client.Client, id string, from uint64) (string, uint64) {
	st, err := c.Status(ctx)
	if err != nil {
		return "", 0
	}
	for h := from; h <= st.Height; h++ {
		b, err := c.Block(ctx, h)
		if err != nil {
			return "", 0
		}
		for i, x := range b.TxIDs {
			if x == id && i < len(b.Results) {
				return b.Results[i], h
			}
		}
	}
	return "", 0
}
