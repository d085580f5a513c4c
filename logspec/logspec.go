package logspec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// LevelTrace is the level of raft's trace lines, below debug.
const LevelTrace = slog.LevelDebug - 4

// Components are the names a spec may set: the values of the "component"
// attribute the node's loggers carry.
var Components = []string{"api", "bft", "chain", "consensus", "node", "ops", "p2p", "raft"}

// ErrBadSpec is wrapped by every error of Parse and Set.
var ErrBadSpec = errors.New("logspec: bad spec")

// Spec is a parsed level spec: a default and per-component levels.
type Spec struct {
	Default    slog.Level
	Components map[string]slog.Level
}

// Parse reads a spec such as "info:raft=debug:p2p,api=warn". The empty
// spec is info.
func Parse(s string) (Spec, error) {
	sp := Spec{Default: slog.LevelInfo, Components: map[string]slog.Level{}}
	s = strings.TrimSpace(s)
	if s == "" {
		return sp, nil
	}
	for i, term := range strings.Split(s, ":") {
		term = strings.TrimSpace(term)
		names, lvl, named := strings.Cut(term, "=")
		if !named {
			if i != 0 {
				return sp, fmt.Errorf("%w %q: %q: only the first term may be a bare level", ErrBadSpec, s, term)
			}
			l, err := parseLevel(term)
			if err != nil {
				return sp, fmt.Errorf("%w %q: %w", ErrBadSpec, s, err)
			}
			sp.Default = l
			continue
		}
		l, err := parseLevel(lvl)
		if err != nil {
			return sp, fmt.Errorf("%w %q: %w", ErrBadSpec, s, err)
		}
		for _, name := range strings.Split(names, ",") {
			name = strings.TrimSpace(name)
			if !slices.Contains(Components, name) {
				return sp, fmt.Errorf("%w %q: unknown component %q (known: %s)", ErrBadSpec, s, name, strings.Join(Components, ", "))
			}
			sp.Components[name] = l
		}
	}
	return sp, nil
}

func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "trace":
		return LevelTrace, nil
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown level %q (want trace, debug, info, warn or error)", s)
}

func levelName(l slog.Level) string {
	if l == LevelTrace {
		return "trace"
	}
	return strings.ToLower(l.String())
}

// String writes the spec in its canonical form: the default, then the
// components whose level differs from it, by name.
func (sp Spec) String() string {
	parts := []string{levelName(sp.Default)}
	for _, c := range Components {
		if l, ok := sp.Components[c]; ok && l != sp.Default {
			parts = append(parts, c+"="+levelName(l))
		}
	}
	return strings.Join(parts, ":")
}

// Levels holds the live levels: the default and one LevelVar for each of
// Components.
type Levels struct {
	def   slog.LevelVar
	comps map[string]*slog.LevelVar

	mu   sync.Mutex
	spec Spec
}

// New returns Levels set from spec.
func New(spec string) (*Levels, error) {
	l := &Levels{comps: make(map[string]*slog.LevelVar, len(Components))}
	for _, c := range Components {
		l.comps[c] = new(slog.LevelVar)
	}
	if err := l.Set(spec); err != nil {
		return nil, err
	}
	return l, nil
}

// Set parses spec and applies it whole: every component it does not name
// follows its default. A bad spec changes nothing.
func (l *Levels) Set(spec string) error {
	sp, err := Parse(spec)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.spec = sp
	l.def.Set(sp.Default)
	for c, v := range l.comps {
		if lv, ok := sp.Components[c]; ok {
			v.Set(lv)
		} else {
			v.Set(sp.Default)
		}
	}
	return nil
}

// Spec returns the spec in force, in canonical form.
func (l *Levels) Spec() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.spec.String()
}

// Level returns a component's level (the default for an unknown one).
func (l *Levels) Level(component string) slog.Level { return l.leveler(component).Level() }

func (l *Levels) leveler(component string) slog.Leveler {
	if v, ok := l.comps[component]; ok {
		return v
	}
	return &l.def
}

// Handler filters records by their component's level before the wrapped
// handler sees them.
type Handler struct {
	inner  slog.Handler
	levels *Levels
	lv     slog.Leveler
}

// NewHandler wraps inner, which should accept every level.
func NewHandler(inner slog.Handler, levels *Levels) *Handler {
	return &Handler{inner: inner, levels: levels, lv: &levels.def}
}

// Enabled reports whether the bound component's level admits l.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.lv.Level() && h.inner.Enabled(ctx, l)
}

// Handle passes r on.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error { return h.inner.Handle(ctx, r) }

// WithAttrs binds the component named by a "component" attribute.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	out := &Handler{inner: h.inner.WithAttrs(as), levels: h.levels, lv: h.lv}
	for _, a := range as {
		if a.Key == "component" {
			out.lv = h.levels.leveler(a.Value.String())
		}
	}
	return out
}

// WithGroup keeps the bound component.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{inner: h.inner.WithGroup(name), levels: h.levels, lv: h.lv}
}

// LevelsOf returns the Levels behind a logger made on a Handler, or nil.
func LevelsOf(log *slog.Logger) *Levels {
	if h, ok := log.Handler().(*Handler); ok {
		return h.levels
	}
	return nil
}

// View is the JSON body of GET and PUT: the spec in force, the default
// and every component's level.
type View struct {
	Spec       string            `json:"spec"`
	Default    string            `json:"default"`
	Components map[string]string `json:"components"`
}

// View reports the levels in force.
func (l *Levels) View() View {
	v := View{Spec: l.Spec(), Default: levelName(l.def.Level()), Components: map[string]string{}}
	for c, lv := range l.comps {
		v.Components[c] = levelName(lv.Level())
	}
	return v
}

// SetRequest is the body of PUT: {"spec": "info:raft=debug"}.
type SetRequest struct {
	Spec string `json:"spec"`
}

// maxBody bounds a PUT body: a spec is a few dozen bytes.
const maxBody = 4 << 10

// ServeHTTP serves GET (the View) and PUT (a SetRequest; answers the new
// View, or 400 with {"error":{"code":"bad_request","message":…}} and
// nothing changed).
func (l *Levels) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodPut:
		var req SetRequest
		dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeErr(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("want {\"spec\": \"info:raft=debug\"}: %v", err))
			return
		}
		if err := l.Set(req.Spec); err != nil {
			writeErr(w, http.StatusBadRequest, "bad_request", err.Error())
			return
		}
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT")
		writeErr(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" not allowed; GET or PUT")
		return
	}
	writeJSON(w, http.StatusOK, l.View())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type errBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	var b errBody
	b.Error.Code, b.Error.Message = code, msg
	writeJSON(w, status, b)
}
