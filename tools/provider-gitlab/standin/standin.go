// Package standin is an in-memory stand-in of GitLab's REST API v4 for exactly the endpoints the
// gitlab provider calls. No GitLab server can run where the tests run, so the provider's Go tests
// and the engine tests (through cmd/gitlab-standin) talk to this instead. Request and response
// shapes are client-go's types (which follow GitLab's API documentation); status codes and error
// bodies are the ones GitLab documents: 401 for a missing or unknown token, 403 for a paid-tier
// endpoint on the Free tier or a non-administrator creating an instance runner, 404 "<Thing> Not
// Found", 400 with per-field messages for invalid or duplicate input, 409 for a branch that is
// already protected, 422 for an environment that is already protected.
//
// Paths under /-/standin/ are not GitLab's: they let a test read the request log (to prove which
// calls were made) and switch the tier.
package standin

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	gitlab "gitlab.com/gitlab-org/api/client-go/v2"
)

// Tier is the GitLab subscription tier the stand-in pretends to run.
type Tier string

const (
	Free     Tier = "free"
	Premium  Tier = "premium"
	Ultimate Tier = "ultimate"
)

// User is an account whose personal access token the stand-in accepts.
type User struct {
	ID       int64
	Username string
	Token    string
	Admin    bool
}

// Options seed the stand-in.
type Options struct {
	Tier Tier
	// Users and their tokens; a request with any other token (or none) gets 401.
	Users []User
	// Projects by full path ("group/project"); they get ids 1, 2, … in this order.
	Projects []string
	// Groups by full path; they get ids 101, 102, … in this order.
	Groups []string
}

// Request is one logged API call.
type Request struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Status int    `json:"status"`
}

type variable struct {
	gitlab.ProjectVariable
}

type project struct {
	id           int64
	path         string
	variables    map[string]*variable // key + "\x00" + scope
	environments map[int64]*gitlab.Environment
	protEnvs     map[string]*gitlab.ProtectedEnvironment
	branches     map[string]*gitlab.ProtectedBranch
	tokens       map[int64]*gitlab.ProjectAccessToken
	triggers     map[int64]*gitlab.PipelineTrigger
}

type group struct {
	id        int64
	path      string
	variables map[string]*variable
}

// Server is the stand-in's state and HTTP handler.
type Server struct {
	mu       sync.Mutex
	tier     Tier
	users    map[string]User
	projects map[int64]*project
	groups   map[int64]*group
	runners  map[int64]*gitlab.RunnerDetails
	nextID   int64
	log      []Request
	now      func() time.Time
}

// New returns a stand-in seeded with opts.
func New(opts Options) *Server {
	s := &Server{
		tier:     opts.Tier,
		users:    map[string]User{},
		projects: map[int64]*project{},
		groups:   map[int64]*group{},
		runners:  map[int64]*gitlab.RunnerDetails{},
		nextID:   1000,
		now:      time.Now,
	}
	if s.tier == "" {
		s.tier = Ultimate
	}
	for _, u := range opts.Users {
		s.users[u.Token] = u
	}
	for i, p := range opts.Projects {
		id := int64(i + 1)
		s.projects[id] = &project{
			id: id, path: p,
			variables:    map[string]*variable{},
			environments: map[int64]*gitlab.Environment{},
			protEnvs:     map[string]*gitlab.ProtectedEnvironment{},
			branches:     map[string]*gitlab.ProtectedBranch{},
			tokens:       map[int64]*gitlab.ProjectAccessToken{},
			triggers:     map[int64]*gitlab.PipelineTrigger{},
		}
	}
	for i, g := range opts.Groups {
		id := int64(101 + i)
		s.groups[id] = &group{id: id, path: g, variables: map[string]*variable{}}
	}
	return s
}

// Requests returns a copy of the request log.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// SetTier switches the tier.
func (s *Server) SetTier(t Tier) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tier = t
}

type apiError struct {
	status int
	body   any
}

func errMsg(status int, msg string) *apiError {
	return &apiError{status, map[string]any{"message": msg}}
}

func fieldErr(field, msg string) *apiError {
	return &apiError{http.StatusBadRequest, map[string]any{"message": map[string][]string{field: {msg}}}}
}

func notFound(what string) *apiError { return errMsg(http.StatusNotFound, "404 "+what+" Not Found") }

var forbidden = errMsg(http.StatusForbidden, "403 Forbidden")

type call struct {
	method string
	seg    []string // unescaped path segments after /api/v4
	query  url.Values
	body   map[string]json.RawMessage
	user   User
}

func (c *call) str(name string) (string, bool) {
	if raw, ok := c.body[name]; ok {
		var v string
		if json.Unmarshal(raw, &v) == nil {
			return v, true
		}
	}
	if c.query.Has(name) {
		return c.query.Get(name), true
	}
	return "", false
}

func (c *call) boolean(name string) (bool, bool) {
	if raw, ok := c.body[name]; ok {
		var v bool
		if json.Unmarshal(raw, &v) == nil {
			return v, true
		}
	}
	if c.query.Has(name) {
		v, err := strconv.ParseBool(c.query.Get(name))
		return v, err == nil
	}
	return false, false
}

func (c *call) integer(name string) (int64, bool) {
	if raw, ok := c.body[name]; ok {
		var v int64
		if json.Unmarshal(raw, &v) == nil {
			return v, true
		}
	}
	if c.query.Has(name) {
		v, err := strconv.ParseInt(c.query.Get(name), 10, 64)
		return v, err == nil
	}
	return 0, false
}

func (c *call) decode(name string, into any) bool {
	raw, ok := c.body[name]
	return ok && json.Unmarshal(raw, into) == nil
}

// scopeFilter reads filter[environment_scope] from the query (GET, DELETE) or the body (PUT).
func (c *call) scopeFilter() string {
	if v := c.query.Get("filter[environment_scope]"); v != "" {
		return v
	}
	var f gitlab.VariableFilter
	if c.decode("filter", &f) && f.EnvironmentScope != "" {
		return f.EnvironmentScope
	}
	return "*"
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	status, body := s.serve(r)
	if !strings.HasPrefix(r.URL.EscapedPath(), "/-/standin/") {
		s.log = append(s.log, Request{Method: r.Method, Path: r.URL.EscapedPath(), Status: status})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if body != nil {
		_ = json.NewEncoder(w).Encode(body)
	}
}

func (s *Server) serve(r *http.Request) (int, any) {
	raw := r.URL.EscapedPath()
	if strings.HasPrefix(raw, "/-/standin/") {
		return s.control(r, strings.TrimPrefix(raw, "/-/standin/"))
	}
	if !strings.HasPrefix(raw, "/api/v4/") {
		return http.StatusNotFound, map[string]string{"error": "404 Not Found"}
	}
	var seg []string
	for _, p := range strings.Split(strings.TrimPrefix(raw, "/api/v4/"), "/") {
		u, err := url.PathUnescape(p)
		if err != nil {
			return http.StatusBadRequest, map[string]string{"error": "bad path"}
		}
		seg = append(seg, u)
	}
	token := r.Header.Get("PRIVATE-TOKEN")
	if token == "" {
		token = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	user, ok := s.users[token]
	if !ok || token == "" {
		return http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"}
	}
	c := &call{method: r.Method, seg: seg, query: r.URL.Query(), user: user, body: map[string]json.RawMessage{}}
	if r.Body != nil {
		data, _ := io.ReadAll(r.Body)
		if len(strings.TrimSpace(string(data))) > 0 {
			if err := json.Unmarshal(data, &c.body); err != nil {
				return http.StatusBadRequest, map[string]string{"error": "body is not a JSON object"}
			}
		}
	}
	status, body, apiErr := s.route(c)
	if apiErr != nil {
		return apiErr.status, apiErr.body
	}
	return status, body
}

func (s *Server) control(r *http.Request, what string) (int, any) {
	switch {
	case what == "requests" && r.Method == http.MethodGet:
		return http.StatusOK, s.log
	case what == "requests" && r.Method == http.MethodDelete:
		s.log = nil
		return http.StatusNoContent, nil
	case strings.HasPrefix(what, "tier/") && r.Method == http.MethodPut:
		s.tier = Tier(strings.TrimPrefix(what, "tier/"))
		return http.StatusNoContent, nil
	}
	return http.StatusNotFound, map[string]string{"error": "unknown stand-in control path"}
}

func (s *Server) route(c *call) (int, any, *apiError) {
	seg, m := c.seg, c.method
	switch {
	case len(seg) == 1 && seg[0] == "user" && m == http.MethodGet:
		return http.StatusOK, gitlab.User{ID: c.user.ID, Username: c.user.Username, IsAdmin: c.user.Admin, State: "active"}, nil
	case len(seg) == 2 && seg[0] == "user" && seg[1] == "runners" && m == http.MethodPost:
		return s.createRunner(c)
	case len(seg) == 2 && seg[0] == "runners":
		return s.runner(c, seg[1])
	case len(seg) >= 3 && seg[0] == "groups":
		g, err := s.group(seg[1])
		if err != nil {
			return 0, nil, err
		}
		if seg[2] == "variables" {
			return s.variables(c, g.variables, seg[3:], "group")
		}
	case len(seg) >= 3 && seg[0] == "projects":
		p, err := s.project(seg[1])
		if err != nil {
			return 0, nil, err
		}
		switch seg[2] {
		case "variables":
			return s.variables(c, p.variables, seg[3:], "project")
		case "environments":
			return s.environments(c, p, seg[3:])
		case "protected_environments":
			if s.tier == Free {
				return 0, nil, forbidden
			}
			return s.protectedEnvironments(c, p, seg[3:])
		case "protected_branches":
			return s.protectedBranches(c, p, seg[3:])
		case "access_tokens":
			if s.tier == Free {
				return 0, nil, forbidden
			}
			return s.accessTokens(c, p, seg[3:])
		case "triggers":
			return s.triggers(c, p, seg[3:])
		}
	}
	return 0, nil, errMsg(http.StatusNotFound, "404 Not Found")
}

func (s *Server) id() int64 { s.nextID++; return s.nextID }

func (s *Server) project(ref string) (*project, *apiError) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		if p, ok := s.projects[id]; ok {
			return p, nil
		}
	}
	for _, p := range s.projects {
		if p.path == ref {
			return p, nil
		}
	}
	return nil, notFound("Project")
}

func (s *Server) group(ref string) (*group, *apiError) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		if g, ok := s.groups[id]; ok {
			return g, nil
		}
	}
	for _, g := range s.groups {
		if g.path == ref {
			return g, nil
		}
	}
	return nil, notFound("Group")
}

// ---- runners -------------------------------------------------------------------------------------

var runnerTypes = map[string]bool{"instance_type": true, "group_type": true, "project_type": true}

func (s *Server) createRunner(c *call) (int, any, *apiError) {
	rt, _ := c.str("runner_type")
	if !runnerTypes[rt] {
		return 0, nil, errMsg(http.StatusBadRequest, "runner_type does not have a valid value")
	}
	r := &gitlab.RunnerDetails{RunnerType: rt, Status: "never_contacted", AccessLevel: "not_protected", TagList: []string{}}
	switch rt {
	case "instance_type":
		if !c.user.Admin {
			return 0, nil, forbidden
		}
		r.IsShared = true
	case "group_type":
		gid, ok := c.integer("group_id")
		if !ok {
			return 0, nil, errMsg(http.StatusBadRequest, "group_id is missing")
		}
		g, err := s.group(strconv.FormatInt(gid, 10))
		if err != nil {
			return 0, nil, err
		}
		r.Groups = []gitlab.RunnerDetailsGroup{{ID: g.id, Name: g.path, WebURL: "/" + g.path}}
	case "project_type":
		pid, ok := c.integer("project_id")
		if !ok {
			return 0, nil, errMsg(http.StatusBadRequest, "project_id is missing")
		}
		p, err := s.project(strconv.FormatInt(pid, 10))
		if err != nil {
			return 0, nil, err
		}
		r.Projects = []gitlab.RunnerDetailsProject{{ID: p.id, Name: p.path, PathWithNamespace: p.path}}
	}
	if err := applyRunner(c, r); err != nil {
		return 0, nil, err
	}
	r.ID = s.id()
	r.Token = fmt.Sprintf("glrt-standin%013d", r.ID)
	s.runners[r.ID] = r
	return http.StatusCreated, gitlab.UserRunner{ID: r.ID, Token: r.Token}, nil
}

func applyRunner(c *call, r *gitlab.RunnerDetails) *apiError {
	if v, ok := c.str("description"); ok {
		r.Description = v
	}
	if v, ok := c.str("maintenance_note"); ok {
		r.MaintenanceNote = v
	}
	if v, ok := c.boolean("paused"); ok {
		r.Paused = v
	}
	if v, ok := c.boolean("locked"); ok {
		r.Locked = v
	}
	if v, ok := c.boolean("run_untagged"); ok {
		r.RunUntagged = v
	} else if c.method == http.MethodPost {
		r.RunUntagged = true
	}
	if v, ok := c.str("access_level"); ok {
		if v != "not_protected" && v != "ref_protected" {
			return errMsg(http.StatusBadRequest, "access_level does not have a valid value")
		}
		r.AccessLevel = v
	}
	if v, ok := c.integer("maximum_timeout"); ok {
		if v != 0 && v < 600 {
			return fieldErr("maximum_timeout", "needs to be at least 10 minutes")
		}
		r.MaximumTimeout = v
	}
	var tags []string
	if c.decode("tag_list", &tags) {
		sort.Strings(tags)
		r.TagList = tags
	}
	if !r.RunUntagged && len(r.TagList) == 0 {
		return fieldErr("tags_list", "can not be empty when runner is not allowed to pick untagged jobs")
	}
	return nil
}

func (s *Server) runner(c *call, ref string) (int, any, *apiError) {
	id, _ := strconv.ParseInt(ref, 10, 64)
	r, ok := s.runners[id]
	if !ok {
		return 0, nil, notFound("Runner")
	}
	switch c.method {
	case http.MethodGet:
		out := *r
		out.Token = "" // GitLab no longer returns the authentication token here
		return http.StatusOK, out, nil
	case http.MethodPut:
		next := *r
		if err := applyRunner(c, &next); err != nil {
			return 0, nil, err
		}
		*r = next
		out := *r
		out.Token = ""
		return http.StatusOK, out, nil
	case http.MethodDelete:
		delete(s.runners, id)
		return http.StatusNoContent, nil, nil
	}
	return 0, nil, errMsg(http.StatusMethodNotAllowed, "405 Method Not Allowed")
}

// ---- CI/CD variables -----------------------------------------------------------------------------

var (
	keyPattern = regexp.MustCompile(`^[a-zA-Z0-9_]{1,255}$`)
	// The characters GitLab can mask: the Base64 alphabet (RFC 4648) plus @ : . ~ - and a few more.
	maskable = regexp.MustCompile(`^[a-zA-Z0-9+/=@:.~\-_]{8,}$`)
)

func vkey(key, scope string) string { return key + "\x00" + scope }

func (s *Server) variables(c *call, vars map[string]*variable, rest []string, owner string) (int, any, *apiError) {
	if owner == "group" {
		if scope, ok := c.str("environment_scope"); ok && scope != "*" && s.tier == Free {
			return 0, nil, forbidden
		}
	}
	if len(rest) == 0 && c.method == http.MethodPost {
		key, _ := c.str("key")
		if !keyPattern.MatchString(key) {
			return 0, nil, fieldErr("key", "can contain only letters, digits and '_'.")
		}
		scope, ok := c.str("environment_scope")
		if !ok || scope == "" {
			scope = "*"
		}
		if _, dup := vars[vkey(key, scope)]; dup {
			return 0, nil, fieldErr("key", fmt.Sprintf("(%s) has already been taken", key))
		}
		v := &variable{gitlab.ProjectVariable{Key: key, EnvironmentScope: scope, VariableType: gitlab.EnvVariableType}}
		if hidden, _ := c.boolean("masked_and_hidden"); hidden {
			v.Masked, v.Hidden = true, true
		}
		if err := applyVariable(c, v); err != nil {
			return 0, nil, err
		}
		vars[vkey(key, scope)] = v
		return http.StatusCreated, v.view(), nil
	}
	if len(rest) != 1 {
		return 0, nil, errMsg(http.StatusNotFound, "404 Not Found")
	}
	key := rest[0]
	k := vkey(key, c.scopeFilter())
	v, ok := vars[k]
	if !ok {
		return 0, nil, notFound("Variable")
	}
	switch c.method {
	case http.MethodGet:
		return http.StatusOK, v.view(), nil
	case http.MethodPut:
		next := *v
		if err := applyVariable(c, &next); err != nil {
			return 0, nil, err
		}
		if scope, ok := c.str("environment_scope"); ok && scope != v.EnvironmentScope {
			if _, dup := vars[vkey(key, scope)]; dup {
				return 0, nil, fieldErr("key", fmt.Sprintf("(%s) has already been taken", key))
			}
			delete(vars, k)
			next.EnvironmentScope = scope
			k = vkey(key, scope)
		}
		*v = next
		vars[k] = v
		return http.StatusOK, v.view(), nil
	case http.MethodDelete:
		delete(vars, k)
		return http.StatusNoContent, nil, nil
	}
	return 0, nil, errMsg(http.StatusMethodNotAllowed, "405 Method Not Allowed")
}

func applyVariable(c *call, v *variable) *apiError {
	if val, ok := c.str("value"); ok {
		v.Value = val
	} else if c.method == http.MethodPost {
		return fieldErr("value", "can't be blank")
	}
	if d, ok := c.str("description"); ok {
		v.Description = d
	}
	if b, ok := c.boolean("protected"); ok {
		v.Protected = b
	}
	if b, ok := c.boolean("masked"); ok {
		if v.Hidden && !b {
			return fieldErr("masked", "is hidden and cannot be unmasked")
		}
		v.Masked = b
	}
	if b, ok := c.boolean("raw"); ok {
		v.Raw = b
	}
	if t, ok := c.str("variable_type"); ok {
		if t != string(gitlab.EnvVariableType) && t != string(gitlab.FileVariableType) {
			return fieldErr("variable_type", "is not included in the list")
		}
		v.VariableType = gitlab.VariableTypeValue(t)
	}
	if v.Masked && !maskable.MatchString(v.Value) {
		return fieldErr("value", "is invalid")
	}
	return nil
}

// view is what GitLab answers: a hidden variable's value is never returned.
func (v *variable) view() gitlab.ProjectVariable {
	out := v.ProjectVariable
	if out.Hidden {
		out.Value = ""
		return out
	}
	return out
}

// ---- environments --------------------------------------------------------------------------------

var tiers = map[string]bool{"production": true, "staging": true, "testing": true, "development": true, "other": true}

func slugify(name string) string {
	s := strings.ToLower(regexp.MustCompile(`[^a-zA-Z0-9]+`).ReplaceAllString(name, "-"))
	return strings.Trim(s, "-")
}

func (s *Server) environments(c *call, p *project, rest []string) (int, any, *apiError) {
	if len(rest) == 0 && c.method == http.MethodPost {
		name, _ := c.str("name")
		if name == "" {
			return 0, nil, fieldErr("name", "can't be blank")
		}
		for _, e := range p.environments {
			if e.Name == name {
				return 0, nil, fieldErr("name", "has already been taken")
			}
		}
		now := s.now().UTC()
		e := &gitlab.Environment{ID: s.id(), Name: name, Slug: slugify(name), State: "available", Tier: "other",
			CreatedAt: &now, UpdatedAt: &now, AutoStopSetting: "always"}
		if err := applyEnvironment(c, e); err != nil {
			return 0, nil, err
		}
		p.environments[e.ID] = e
		return http.StatusCreated, e, nil
	}
	if len(rest) < 1 {
		return 0, nil, errMsg(http.StatusNotFound, "404 Not Found")
	}
	id, _ := strconv.ParseInt(rest[0], 10, 64)
	e, ok := p.environments[id]
	if !ok {
		return 0, nil, notFound("Environment")
	}
	if len(rest) == 2 && rest[1] == "stop" && c.method == http.MethodPost {
		e.State = "stopped"
		return http.StatusOK, e, nil
	}
	switch c.method {
	case http.MethodGet:
		return http.StatusOK, e, nil
	case http.MethodPut:
		next := *e
		if err := applyEnvironment(c, &next); err != nil {
			return 0, nil, err
		}
		now := s.now().UTC()
		next.UpdatedAt = &now
		*e = next
		return http.StatusOK, e, nil
	case http.MethodDelete:
		if e.State != "stopped" {
			return 0, nil, errMsg(http.StatusForbidden, "403 Forbidden - Environment must be stopped before it can be deleted")
		}
		delete(p.environments, id)
		return http.StatusNoContent, nil, nil
	}
	return 0, nil, errMsg(http.StatusMethodNotAllowed, "405 Method Not Allowed")
}

func applyEnvironment(c *call, e *gitlab.Environment) *apiError {
	if v, ok := c.str("external_url"); ok {
		if v != "" && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
			return fieldErr("external_url", "is blocked: Only allowed schemes are http, https")
		}
		e.ExternalURL = v
	}
	if v, ok := c.str("tier"); ok {
		if !tiers[v] {
			return errMsg(http.StatusBadRequest, "tier does not have a valid value")
		}
		e.Tier = v
	}
	if v, ok := c.str("description"); ok {
		e.Description = v
	}
	if v, ok := c.str("kubernetes_namespace"); ok {
		e.KubernetesNamespace = v
	}
	if v, ok := c.str("flux_resource_path"); ok {
		e.FluxResourcePath = v
	}
	if v, ok := c.str("auto_stop_setting"); ok {
		if v != "always" && v != "with_action" {
			return errMsg(http.StatusBadRequest, "auto_stop_setting does not have a valid value")
		}
		e.AutoStopSetting = v
	}
	if v, ok := c.integer("cluster_agent_id"); ok {
		e.ClusterAgent = &gitlab.Agent{ID: v}
	}
	return nil
}

// ---- protected environments ----------------------------------------------------------------------

var accessDescriptions = map[gitlab.AccessLevelValue]string{
	0: "No one", 10: "Guest", 20: "Reporter", 30: "Developers + Maintainers", 40: "Maintainers", 50: "Owners", 60: "Admins",
}

func (s *Server) protectedEnvironments(c *call, p *project, rest []string) (int, any, *apiError) {
	if len(rest) == 0 && c.method == http.MethodPost {
		name, _ := c.str("name")
		if name == "" {
			return 0, nil, fieldErr("name", "can't be blank")
		}
		if _, dup := p.protEnvs[name]; dup {
			return 0, nil, &apiError{http.StatusUnprocessableEntity, map[string]any{"message": map[string][]string{"name": {"has already been taken"}}}}
		}
		pe := &gitlab.ProtectedEnvironment{Name: name, DeployAccessLevels: []*gitlab.EnvironmentAccessDescription{}, ApprovalRules: []*gitlab.EnvironmentApprovalRule{}}
		var levels []gitlab.EnvironmentAccessOptions
		c.decode("deploy_access_levels", &levels)
		if len(levels) == 0 {
			return 0, nil, fieldErr("deploy_access_levels", "is missing")
		}
		for _, l := range levels {
			pe.DeployAccessLevels = append(pe.DeployAccessLevels, s.accessDescription(l.AccessLevel, l.UserID, l.GroupID, l.GroupInheritanceType))
		}
		var rules []gitlab.EnvironmentApprovalRuleOptions
		c.decode("approval_rules", &rules)
		for _, r := range rules {
			pe.ApprovalRules = append(pe.ApprovalRules, s.approvalRule(r.AccessLevel, r.UserID, r.GroupID, r.GroupInheritanceType, r.RequiredApprovalCount))
		}
		p.protEnvs[name] = pe
		return http.StatusCreated, pe, nil
	}
	if len(rest) != 1 {
		return 0, nil, errMsg(http.StatusNotFound, "404 Not Found")
	}
	pe, ok := p.protEnvs[rest[0]]
	if !ok {
		return 0, nil, notFound("Protected Environment")
	}
	switch c.method {
	case http.MethodGet:
		return http.StatusOK, pe, nil
	case http.MethodPut:
		var levels []gitlab.UpdateEnvironmentAccessOptions
		if c.decode("deploy_access_levels", &levels) {
			for _, l := range levels {
				switch {
				case l.Destroy != nil && *l.Destroy && l.ID != nil:
					pe.DeployAccessLevels = removeAccess(pe.DeployAccessLevels, *l.ID)
				case l.ID == nil:
					pe.DeployAccessLevels = append(pe.DeployAccessLevels, s.accessDescription(l.AccessLevel, l.UserID, l.GroupID, l.GroupInheritanceType))
				}
			}
		}
		var rules []gitlab.UpdateEnvironmentApprovalRuleOptions
		if c.decode("approval_rules", &rules) {
			for _, r := range rules {
				switch {
				case r.Destroy != nil && *r.Destroy && r.ID != nil:
					pe.ApprovalRules = removeRule(pe.ApprovalRules, *r.ID)
				case r.ID == nil:
					pe.ApprovalRules = append(pe.ApprovalRules, s.approvalRule(r.AccessLevel, r.UserID, r.GroupID, r.GroupInheritanceType, r.RequiredApprovalCount))
				}
			}
		}
		if len(pe.DeployAccessLevels) == 0 {
			return 0, nil, fieldErr("deploy_access_levels", "is missing")
		}
		return http.StatusOK, pe, nil
	case http.MethodDelete:
		delete(p.protEnvs, rest[0])
		return http.StatusNoContent, nil, nil
	}
	return 0, nil, errMsg(http.StatusMethodNotAllowed, "405 Method Not Allowed")
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func (s *Server) accessDescription(level *gitlab.AccessLevelValue, user, group, inherit *int64) *gitlab.EnvironmentAccessDescription {
	d := &gitlab.EnvironmentAccessDescription{ID: s.id(), AccessLevel: deref(level), UserID: deref(user), GroupID: deref(group), GroupInheritanceType: deref(inherit)}
	d.AccessLevelDescription = describe(d.AccessLevel, d.UserID, d.GroupID)
	return d
}

func (s *Server) approvalRule(level *gitlab.AccessLevelValue, user, group, inherit, required *int64) *gitlab.EnvironmentApprovalRule {
	r := &gitlab.EnvironmentApprovalRule{ID: s.id(), AccessLevel: deref(level), UserID: deref(user), GroupID: deref(group), GroupInheritanceType: deref(inherit), RequiredApprovalCount: deref(required)}
	if r.RequiredApprovalCount == 0 {
		r.RequiredApprovalCount = 1
	}
	r.AccessLevelDescription = describe(r.AccessLevel, r.UserID, r.GroupID)
	return r
}

func describe(level gitlab.AccessLevelValue, user, group int64) string {
	switch {
	case user != 0:
		return fmt.Sprintf("User %d", user)
	case group != 0:
		return fmt.Sprintf("Group %d", group)
	}
	return accessDescriptions[level]
}

func removeAccess(list []*gitlab.EnvironmentAccessDescription, id int64) []*gitlab.EnvironmentAccessDescription {
	out := list[:0:0]
	for _, l := range list {
		if l.ID != id {
			out = append(out, l)
		}
	}
	return out
}

func removeRule(list []*gitlab.EnvironmentApprovalRule, id int64) []*gitlab.EnvironmentApprovalRule {
	out := list[:0:0]
	for _, l := range list {
		if l.ID != id {
			out = append(out, l)
		}
	}
	return out
}

// ---- protected branches --------------------------------------------------------------------------

func (s *Server) protectedBranches(c *call, p *project, rest []string) (int, any, *apiError) {
	if len(rest) == 0 && c.method == http.MethodPost {
		name, _ := c.str("name")
		if name == "" {
			return 0, nil, errMsg(http.StatusBadRequest, "name is missing")
		}
		if _, dup := p.branches[name]; dup {
			return 0, nil, errMsg(http.StatusConflict, fmt.Sprintf("Protected branch '%s' already exists", name))
		}
		b := &gitlab.ProtectedBranch{ID: s.id(), Name: name}
		level := func(field string) gitlab.AccessLevelValue {
			if v, ok := c.integer(field); ok {
				return gitlab.AccessLevelValue(v)
			}
			return gitlab.MaintainerPermissions
		}
		b.PushAccessLevels = []*gitlab.BranchAccessDescription{s.branchAccess(level("push_access_level"), 0, 0, 0)}
		b.MergeAccessLevels = []*gitlab.BranchAccessDescription{s.branchAccess(level("merge_access_level"), 0, 0, 0)}
		b.UnprotectAccessLevels = []*gitlab.BranchAccessDescription{s.branchAccess(level("unprotect_access_level"), 0, 0, 0)}
		if v, ok := c.boolean("allow_force_push"); ok {
			b.AllowForcePush = v
		}
		if v, ok := c.boolean("code_owner_approval_required"); ok {
			b.CodeOwnerApprovalRequired = v
		}
		s.applyBranchPermissions(c, b)
		p.branches[name] = b
		return http.StatusCreated, b, nil
	}
	if len(rest) != 1 {
		return 0, nil, errMsg(http.StatusNotFound, "404 Not Found")
	}
	b, ok := p.branches[rest[0]]
	if !ok {
		return 0, nil, notFound("Protected Branch")
	}
	switch c.method {
	case http.MethodGet:
		return http.StatusOK, b, nil
	case http.MethodPatch:
		if v, ok := c.boolean("allow_force_push"); ok {
			b.AllowForcePush = v
		}
		if v, ok := c.boolean("code_owner_approval_required"); ok {
			b.CodeOwnerApprovalRequired = v
		}
		s.applyBranchPermissions(c, b)
		return http.StatusOK, b, nil
	case http.MethodDelete:
		delete(p.branches, rest[0])
		return http.StatusNoContent, nil, nil
	}
	return 0, nil, errMsg(http.StatusMethodNotAllowed, "405 Method Not Allowed")
}

func (s *Server) branchAccess(level gitlab.AccessLevelValue, user, group, key int64) *gitlab.BranchAccessDescription {
	return &gitlab.BranchAccessDescription{ID: s.id(), AccessLevel: level, UserID: user, GroupID: group, DeployKeyID: key,
		AccessLevelDescription: describe(level, user, group)}
}

func (s *Server) applyBranchPermissions(c *call, b *gitlab.ProtectedBranch) {
	apply := func(field string, list *[]*gitlab.BranchAccessDescription) {
		var opts []gitlab.BranchPermissionOptions
		if !c.decode(field, &opts) {
			return
		}
		for _, o := range opts {
			if o.Destroy != nil && *o.Destroy && o.ID != nil {
				out := (*list)[:0:0]
				for _, l := range *list {
					if l.ID != *o.ID {
						out = append(out, l)
					}
				}
				*list = out
				continue
			}
			if o.ID == nil {
				*list = append(*list, s.branchAccess(deref(o.AccessLevel), deref(o.UserID), deref(o.GroupID), deref(o.DeployKeyID)))
			}
		}
	}
	apply("allowed_to_push", &b.PushAccessLevels)
	apply("allowed_to_merge", &b.MergeAccessLevels)
	apply("allowed_to_unprotect", &b.UnprotectAccessLevels)
}

// ---- project access tokens -----------------------------------------------------------------------

var tokenScopes = map[string]bool{"api": true, "read_api": true, "read_registry": true, "write_registry": true,
	"read_repository": true, "write_repository": true, "create_runner": true, "manage_runner": true,
	"ai_features": true, "k8s_proxy": true, "read_observability": true, "write_observability": true, "self_rotate": true}

func (s *Server) accessTokens(c *call, p *project, rest []string) (int, any, *apiError) {
	if len(rest) == 0 && c.method == http.MethodPost {
		name, _ := c.str("name")
		if name == "" {
			return 0, nil, errMsg(http.StatusBadRequest, "name is missing")
		}
		var scopes []string
		if !c.decode("scopes", &scopes) || len(scopes) == 0 {
			return 0, nil, errMsg(http.StatusBadRequest, "scopes is missing")
		}
		for _, sc := range scopes {
			if !tokenScopes[sc] {
				return 0, nil, errMsg(http.StatusBadRequest, "scopes does not have a valid value")
			}
		}
		exp, _ := c.str("expires_at")
		day, err := time.Parse("2006-01-02", exp)
		if err != nil {
			return 0, nil, errMsg(http.StatusBadRequest, "expires_at is missing or not a date (YYYY-MM-DD)")
		}
		if !day.After(s.now()) {
			return 0, nil, fieldErr("expires_at", "must be in the future")
		}
		level := gitlab.MaintainerPermissions
		if v, ok := c.integer("access_level"); ok {
			level = gitlab.AccessLevelValue(v)
		}
		now := s.now().UTC()
		iso := gitlab.ISOTime(day)
		t := &gitlab.ProjectAccessToken{AccessLevel: level}
		t.ID = s.id()
		t.Name = name
		t.Scopes = scopes
		t.Active = true
		t.CreatedAt = &now
		t.ExpiresAt = &iso
		t.UserID = s.id()
		t.Description, _ = c.str("description")
		t.Token = fmt.Sprintf("glpat-standin%013d", t.ID)
		p.tokens[t.ID] = t
		return http.StatusCreated, t, nil
	}
	if len(rest) != 1 {
		return 0, nil, errMsg(http.StatusNotFound, "404 Not Found")
	}
	id, _ := strconv.ParseInt(rest[0], 10, 64)
	t, ok := p.tokens[id]
	if !ok {
		return 0, nil, notFound("Token")
	}
	switch c.method {
	case http.MethodGet:
		out := *t
		out.Token = ""
		return http.StatusOK, out, nil
	case http.MethodDelete:
		t.Revoked, t.Active = true, false
		return http.StatusNoContent, nil, nil
	}
	return 0, nil, errMsg(http.StatusMethodNotAllowed, "405 Method Not Allowed")
}

// ---- pipeline triggers ---------------------------------------------------------------------------

func (s *Server) triggers(c *call, p *project, rest []string) (int, any, *apiError) {
	if len(rest) == 0 && c.method == http.MethodPost {
		d, ok := c.str("description")
		if !ok {
			return 0, nil, errMsg(http.StatusBadRequest, "description is missing")
		}
		now := s.now().UTC()
		t := &gitlab.PipelineTrigger{ID: s.id(), Description: d, CreatedAt: &now, UpdatedAt: &now,
			Owner: &gitlab.User{ID: c.user.ID, Username: c.user.Username}}
		t.Token = fmt.Sprintf("glptt-standin%013d", t.ID)
		p.triggers[t.ID] = t
		return http.StatusCreated, t, nil
	}
	if len(rest) != 1 {
		return 0, nil, errMsg(http.StatusNotFound, "404 Not Found")
	}
	id, _ := strconv.ParseInt(rest[0], 10, 64)
	t, ok := p.triggers[id]
	if !ok {
		return 0, nil, notFound("Trigger")
	}
	switch c.method {
	case http.MethodGet:
		return http.StatusOK, t, nil
	case http.MethodPut:
		if d, ok := c.str("description"); ok {
			t.Description = d
		}
		now := s.now().UTC()
		t.UpdatedAt = &now
		return http.StatusOK, t, nil
	case http.MethodDelete:
		delete(p.triggers, id)
		return http.StatusNoContent, nil, nil
	}
	return 0, nil, errMsg(http.StatusMethodNotAllowed, "405 Method Not Allowed")
}
