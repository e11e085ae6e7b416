package hub

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/berth-nix/berth/hub/store"
	"github.com/berth-nix/berth/nixos"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12]
		}
		return s
	},
	"ago": ago,
}).ParseFS(templateFS, "templates/*.html"))

// ago renders a time as an age a person reads at a glance.
func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t).Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return t.UTC().Format("2006-01-02")
}

func (s *Server) pageRoutes(mux *http.ServeMux) {
	mux.Handle("GET /{$}", s.withRole(store.RoleRead, s.fleetView("fleet")))
	mux.Handle("GET /fragment/rows", s.withRole(store.RoleRead, s.fleetView("rows")))
	mux.Handle("GET /hosts/{host}", s.withRole(store.RoleRead, s.hostPage))
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		s.render(w, "login", map[string]string{"Title": "Sign in"})
	})
	mux.HandleFunc("POST /login", s.login)
}

type fleetData struct {
	Title  string
	Wanted string
	Hosts  []HostView
}

func (s *Server) fleetData(r *http.Request) (fleetData, error) {
	hosts, err := s.fleet(r.Context())
	if err != nil {
		return fleetData{}, err
	}
	wanted, _ := s.store.Fact(r.Context(), headFact)
	return fleetData{Title: "Fleet", Wanted: wanted, Hosts: hosts}, nil
}

// fleetView renders the fleet with template name: the whole page, or
// only its rows for the live update.
func (s *Server) fleetView(name string) func(http.ResponseWriter, *http.Request, caller) {
	return func(w http.ResponseWriter, r *http.Request, _ caller) {
		d, err := s.fleetData(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		s.render(w, name, d)
	}
}

func (s *Server) hostPage(w http.ResponseWriter, r *http.Request, _ caller) {
	d, err := s.hostDetail(r.Context(), r.PathValue("host"), 50)
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, "no host "+r.PathValue("host"), http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	var diff *nixos.ClosureDiff
	if d.Latest != nil && d.Latest.Report.Attempt != nil {
		diff = d.Latest.Report.Attempt.Diff
	}
	s.render(w, "host", map[string]any{"Title": d.Host.Name, "Detail": d, "Diff": diff})
}

// login checks a key typed into the form and keeps it in a cookie only
// this site's requests carry.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	key := r.PostFormValue("key")
	c, ok := s.lookupKey(r.Context(), key)
	if !ok {
		s.audit(r.Context(), "anonymous", "auth.denied", "/login", "wrong key from "+r.RemoteAddr)
		w.WriteHeader(http.StatusUnauthorized)
		s.render(w, "login", map[string]string{"Title": "Sign in", "Error": "That key is not valid."})
		return
	}
	s.audit(r.Context(), c.name, "login", "", "from "+r.RemoteAddr)
	http.SetCookie(w, &http.Cookie{Name: KeyCookie, Value: key, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: 30 * 24 * 3600})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		s.log.Error("cannot render page", "page", name, "err", err)
	}
}
