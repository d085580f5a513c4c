package ui

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var static embed.FS

// FS is the console's files (index.html, app.js, style.css and the rest of
// static/), rooted at the directory that holds them.
func FS() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // static is embedded: it is there
	}
	return sub
}

// Handler serves the console's files at the root of the path it is given:
// mount it under a prefix with http.StripPrefix (the API serves it as
// http.StripPrefix("/ui", Handler()) at /ui/), and index.html answers the
// prefix itself. It lists no directory, and tells browsers to revalidate,
// so that a node upgraded in place serves its own console.
func Handler() http.Handler {
	files := http.FileServerFS(FS())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; p != "/" && p != "" && strings.HasSuffix(p, "/") {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		files.ServeHTTP(w, r)
	})
}
