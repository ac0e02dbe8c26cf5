package provider

import (
	"context"
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-go-provider/infer"
	gitlab "gitlab.com/gitlab-org/api/client-go/v2"
)

// VariableArgs are the inputs shared by ProjectVariable and GroupVariable.
type VariableArgs struct {
	Key              string  `pulumi:"key" provider:"replaceOnChanges"`
	Value            string  `pulumi:"value" provider:"secret"`
	Description      *string `pulumi:"description,optional"`
	EnvironmentScope *string `pulumi:"environmentScope,optional" provider:"replaceOnChanges"`
	Hidden           *bool   `pulumi:"hidden,optional" provider:"replaceOnChanges"`
	Masked           *bool   `pulumi:"masked,optional"`
	Protected        *bool   `pulumi:"protected,optional"`
	Raw              *bool   `pulumi:"raw,optional"`
	VariableType     *string `pulumi:"variableType,optional"`
}

// VariableState are the outputs shared by ProjectVariable and GroupVariable.
type VariableState struct {
	Key              string `pulumi:"key"`
	Value            string `pulumi:"value" provider:"secret"`
	Description      string `pulumi:"description"`
	EnvironmentScope string `pulumi:"environmentScope"`
	Hidden           bool   `pulumi:"hidden"`
	Masked           bool   `pulumi:"masked"`
	Protected        bool   `pulumi:"protected"`
	Raw              bool   `pulumi:"raw"`
	VariableType     string `pulumi:"variableType"`
}

// Annotate documents the shared inputs (merged into both resources).
func (a *VariableArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Key, "The name of the variable (letters, digits and _ only).")
	an.Describe(&a.Value, "The value of the variable. Secret in this provider (pulumi-gitlab's is not).")
	an.Describe(&a.EnvironmentScope, "The environment scope of the variable. Default *.")
	an.Describe(&a.Hidden, "Masked and hidden: GitLab never shows the value again. Only at creation.")
	an.Describe(&a.Masked, "Mask the value in job logs (at least 8 characters of the maskable alphabet, no whitespace).")
	an.Describe(&a.Protected, "Only pipelines on protected branches and tags get the variable.")
	an.Describe(&a.Raw, "Do not expand $ references in the value.")
	an.Describe(&a.VariableType, "env_var (default) or file.")
	an.SetDefault(&a.EnvironmentScope, "*")
	an.SetDefault(&a.VariableType, "env_var")
}

var variableKey = regexp.MustCompile(`^[a-zA-Z0-9_]{1,255}$`)

func (a VariableArgs) validate() error {
	if !variableKey.MatchString(a.Key) {
		return fmt.Errorf("key: %q may contain only letters, digits and _ (1-255 characters)", a.Key)
	}
	if t := orDefault(a.VariableType, "env_var"); t != "env_var" && t != "file" {
		return fmt.Errorf("variableType: %q is not env_var or file", t)
	}
	if orDefault(a.Hidden, false) && a.Masked != nil && !*a.Masked {
		return fmt.Errorf("masked: a hidden variable is always masked; drop masked: false")
	}
	return nil
}

func (a VariableArgs) scope() string { return orDefault(a.EnvironmentScope, "*") }

func stateFromVariable(v *gitlab.ProjectVariable, prevValue string) VariableState {
	value := v.Value
	if v.Hidden {
		value = prevValue // GitLab never returns a hidden value
	}
	return VariableState{
		Key: v.Key, Value: value, Description: v.Description, EnvironmentScope: v.EnvironmentScope,
		Hidden: v.Hidden, Masked: v.Masked, Protected: v.Protected, Raw: v.Raw, VariableType: string(v.VariableType),
	}
}

func argsFromVariable(prev VariableArgs, s VariableState) VariableArgs {
	return VariableArgs{
		Key: s.Key, Value: s.Value,
		Description:      keep(prev.Description, s.Description, ""),
		EnvironmentScope: keep(prev.EnvironmentScope, s.EnvironmentScope, "*"),
		Hidden:           keep(prev.Hidden, s.Hidden, false),
		Masked:           keep(prev.Masked, s.Masked, s.Hidden),
		Protected:        keep(prev.Protected, s.Protected, false),
		Raw:              keep(prev.Raw, s.Raw, false),
		VariableType:     keep(prev.VariableType, s.VariableType, "env_var"),
	}
}

func (a VariableArgs) preview() VariableState {
	hidden := orDefault(a.Hidden, false)
	return VariableState{
		Key: a.Key, Value: a.Value, Description: orDefault(a.Description, ""), EnvironmentScope: a.scope(),
		Hidden: hidden, Masked: orDefault(a.Masked, hidden), Protected: orDefault(a.Protected, false),
		Raw: orDefault(a.Raw, false), VariableType: orDefault(a.VariableType, "env_var"),
	}
}

// variableAPI is what differs between project and group variables.
type variableAPI interface {
	create(ctx context.Context, owner string, a VariableArgs) (*gitlab.ProjectVariable, error)
	get(ctx context.Context, owner, key, scope string) (*gitlab.ProjectVariable, error)
	update(ctx context.Context, owner string, a VariableArgs) (*gitlab.ProjectVariable, error)
	remove(ctx context.Context, owner, key, scope string) error
}

func vtype(a VariableArgs) *gitlab.VariableTypeValue {
	return ptr(gitlab.VariableTypeValue(orDefault(a.VariableType, "env_var")))
}

func createVariable(ctx context.Context, api variableAPI, kind, owner string, a VariableArgs, dryRun bool) (string, VariableState, error) {
	id := owner + ":" + a.Key + ":" + a.scope()
	if err := a.validate(); err != nil {
		return "", VariableState{}, fmt.Errorf("gitlab: %s %q: %w", kind, id, err)
	}
	if dryRun {
		return id, a.preview(), nil
	}
	v, err := api.create(ctx, owner, a)
	if err != nil {
		return "", VariableState{}, apiError("creating", kind, id, err)
	}
	return id, stateFromVariable(v, a.Value), nil
}

func readVariable(ctx context.Context, api variableAPI, kind, id string, prev VariableArgs, prevState VariableState) (string, VariableArgs, VariableState, error) {
	parts, err := splitID(kind, id, 3, "<owner>:<key>:<environment_scope>")
	if err != nil {
		return "", VariableArgs{}, VariableState{}, err
	}
	v, err := api.get(ctx, parts[0], parts[1], parts[2])
	if isNotFound(err) {
		return "", VariableArgs{}, VariableState{}, nil
	}
	if err != nil {
		return "", VariableArgs{}, VariableState{}, apiError("reading", kind, id, err)
	}
	s := stateFromVariable(v, prevState.Value)
	return id, argsFromVariable(prev, s), s, nil
}

func updateVariable(ctx context.Context, api variableAPI, kind, owner string, a VariableArgs, dryRun bool) (VariableState, error) {
	id := owner + ":" + a.Key + ":" + a.scope()
	if err := a.validate(); err != nil {
		return VariableState{}, fmt.Errorf("gitlab: %s %q: %w", kind, id, err)
	}
	if dryRun {
		return a.preview(), nil
	}
	v, err := api.update(ctx, owner, a)
	if err != nil {
		return VariableState{}, apiError("updating", kind, id, err)
	}
	return stateFromVariable(v, a.Value), nil
}

func deleteVariable(ctx context.Context, api variableAPI, kind, owner string, s VariableState) error {
	err := api.remove(ctx, owner, s.Key, s.EnvironmentScope)
	if err != nil && !isNotFound(err) {
		return apiError("deleting", kind, owner+":"+s.Key+":"+s.EnvironmentScope, err)
	}
	return nil
}

// ---- ProjectVariable -------------------------------------------------------------------------------

// ProjectVariable is a CI/CD variable of a project.
type ProjectVariable struct{}

// ProjectVariableArgs are its inputs.
type ProjectVariableArgs struct {
	Project string `pulumi:"project" provider:"replaceOnChanges"`
	VariableArgs
}

// ProjectVariableState are its outputs.
type ProjectVariableState struct {
	Project string `pulumi:"project"`
	VariableState
}

func (r *ProjectVariable) Annotate(a infer.Annotator) {
	a.SetToken("index/projectVariable", "ProjectVariable")
	a.Describe(r, "A CI/CD variable of a project. Import id: <project>:<key>:<environment_scope>.")
}

func (a *ProjectVariableArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Project, "The id or full path of the project.")
}

type projectVariables struct{ c *gitlab.Client }

func (p projectVariables) create(ctx context.Context, owner string, a VariableArgs) (*gitlab.ProjectVariable, error) {
	o := &gitlab.CreateProjectVariableOptions{Key: &a.Key, Value: &a.Value, Description: a.Description,
		EnvironmentScope: ptr(a.scope()), Protected: a.Protected, Raw: a.Raw, VariableType: vtype(a)}
	if orDefault(a.Hidden, false) {
		o.MaskedAndHidden = ptr(true)
	} else {
		o.Masked = a.Masked
	}
	v, _, err := p.c.ProjectVariables.CreateVariable(owner, o, opts(ctx))
	return v, err
}

func (p projectVariables) get(ctx context.Context, owner, key, scope string) (*gitlab.ProjectVariable, error) {
	v, _, err := p.c.ProjectVariables.GetVariable(owner, key, &gitlab.GetProjectVariableOptions{Filter: &gitlab.VariableFilter{EnvironmentScope: scope}}, opts(ctx))
	return v, err
}

func (p projectVariables) update(ctx context.Context, owner string, a VariableArgs) (*gitlab.ProjectVariable, error) {
	o := &gitlab.UpdateProjectVariableOptions{Value: &a.Value, Description: ptr(orDefault(a.Description, "")),
		Filter: &gitlab.VariableFilter{EnvironmentScope: a.scope()}, Protected: ptr(orDefault(a.Protected, false)),
		Raw: ptr(orDefault(a.Raw, false)), VariableType: vtype(a)}
	if !orDefault(a.Hidden, false) {
		o.Masked = ptr(orDefault(a.Masked, false))
	}
	v, _, err := p.c.ProjectVariables.UpdateVariable(owner, a.Key, o, opts(ctx))
	return v, err
}

func (p projectVariables) remove(ctx context.Context, owner, key, scope string) error {
	_, err := p.c.ProjectVariables.RemoveVariable(owner, key, &gitlab.RemoveProjectVariableOptions{Filter: &gitlab.VariableFilter{EnvironmentScope: scope}}, opts(ctx))
	return err
}

func (*ProjectVariable) Create(ctx context.Context, req infer.CreateRequest[ProjectVariableArgs]) (infer.CreateResponse[ProjectVariableState], error) {
	var api variableAPI
	if !req.DryRun {
		api = projectVariables{client(ctx)}
	}
	id, s, err := createVariable(ctx, api, "ProjectVariable", req.Inputs.Project, req.Inputs.VariableArgs, req.DryRun)
	return infer.CreateResponse[ProjectVariableState]{ID: id, Output: ProjectVariableState{req.Inputs.Project, s}}, err
}

func (*ProjectVariable) Read(ctx context.Context, req infer.ReadRequest[ProjectVariableArgs, ProjectVariableState]) (infer.ReadResponse[ProjectVariableArgs, ProjectVariableState], error) {
	id, a, s, err := readVariable(ctx, projectVariables{client(ctx)}, "ProjectVariable", req.ID, req.Inputs.VariableArgs, req.State.VariableState)
	if err != nil || id == "" {
		return infer.ReadResponse[ProjectVariableArgs, ProjectVariableState]{}, err
	}
	owner := ownerOf(id)
	return infer.ReadResponse[ProjectVariableArgs, ProjectVariableState]{ID: id,
		Inputs: ProjectVariableArgs{owner, a}, State: ProjectVariableState{owner, s}}, nil
}

func (*ProjectVariable) Update(ctx context.Context, req infer.UpdateRequest[ProjectVariableArgs, ProjectVariableState]) (infer.UpdateResponse[ProjectVariableState], error) {
	var api variableAPI
	if !req.DryRun {
		api = projectVariables{client(ctx)}
	}
	s, err := updateVariable(ctx, api, "ProjectVariable", req.Inputs.Project, req.Inputs.VariableArgs, req.DryRun)
	return infer.UpdateResponse[ProjectVariableState]{Output: ProjectVariableState{req.Inputs.Project, s}}, err
}

func (*ProjectVariable) Delete(ctx context.Context, req infer.DeleteRequest[ProjectVariableState]) (infer.DeleteResponse, error) {
	return infer.DeleteResponse{}, deleteVariable(ctx, projectVariables{client(ctx)}, "ProjectVariable", req.State.Project, req.State.VariableState)
}

// ---- GroupVariable ---------------------------------------------------------------------------------

// GroupVariable is a CI/CD variable of a group.
type GroupVariable struct{}

// GroupVariableArgs are its inputs.
type GroupVariableArgs struct {
	Group string `pulumi:"group" provider:"replaceOnChanges"`
	VariableArgs
}

// GroupVariableState are its outputs.
type GroupVariableState struct {
	Group string `pulumi:"group"`
	VariableState
}

func (r *GroupVariable) Annotate(a infer.Annotator) {
	a.SetToken("index/groupVariable", "GroupVariable")
	a.Describe(r, "A CI/CD variable of a group. Import id: <group>:<key>:<environment_scope>. An environment scope other than * needs GitLab Premium.")
}

func (a *GroupVariableArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Group, "The id or full path of the group.")
}

type groupVariables struct{ c *gitlab.Client }

func (g groupVariables) create(ctx context.Context, owner string, a VariableArgs) (*gitlab.ProjectVariable, error) {
	o := &gitlab.CreateGroupVariableOptions{Key: &a.Key, Value: &a.Value, Description: a.Description,
		EnvironmentScope: ptr(a.scope()), Protected: a.Protected, Raw: a.Raw, VariableType: vtype(a)}
	if orDefault(a.Hidden, false) {
		o.MaskedAndHidden = ptr(true)
	} else {
		o.Masked = a.Masked
	}
	v, _, err := g.c.GroupVariables.CreateVariable(owner, o, opts(ctx))
	return fromGroup(v), err
}

func (g groupVariables) get(ctx context.Context, owner, key, scope string) (*gitlab.ProjectVariable, error) {
	v, _, err := g.c.GroupVariables.GetVariable(owner, key, &gitlab.GetGroupVariableOptions{Filter: &gitlab.VariableFilter{EnvironmentScope: scope}}, opts(ctx))
	return fromGroup(v), err
}

func (g groupVariables) update(ctx context.Context, owner string, a VariableArgs) (*gitlab.ProjectVariable, error) {
	o := &gitlab.UpdateGroupVariableOptions{Value: &a.Value, Description: ptr(orDefault(a.Description, "")),
		Filter: &gitlab.VariableFilter{EnvironmentScope: a.scope()}, Protected: ptr(orDefault(a.Protected, false)),
		Raw: ptr(orDefault(a.Raw, false)), VariableType: vtype(a)}
	if !orDefault(a.Hidden, false) {
		o.Masked = ptr(orDefault(a.Masked, false))
	}
	v, _, err := g.c.GroupVariables.UpdateVariable(owner, a.Key, o, opts(ctx))
	return fromGroup(v), err
}

func (g groupVariables) remove(ctx context.Context, owner, key, scope string) error {
	_, err := g.c.GroupVariables.RemoveVariable(owner, key, &gitlab.RemoveGroupVariableOptions{Filter: &gitlab.VariableFilter{EnvironmentScope: scope}}, opts(ctx))
	return err
}

func fromGroup(v *gitlab.GroupVariable) *gitlab.ProjectVariable {
	if v == nil {
		return nil
	}
	return &gitlab.ProjectVariable{Key: v.Key, Value: v.Value, VariableType: v.VariableType, Protected: v.Protected,
		Masked: v.Masked, Hidden: v.Hidden, Raw: v.Raw, EnvironmentScope: v.EnvironmentScope, Description: v.Description}
}

func (*GroupVariable) Create(ctx context.Context, req infer.CreateRequest[GroupVariableArgs]) (infer.CreateResponse[GroupVariableState], error) {
	var api variableAPI
	if !req.DryRun {
		api = groupVariables{client(ctx)}
	}
	id, s, err := createVariable(ctx, api, "GroupVariable", req.Inputs.Group, req.Inputs.VariableArgs, req.DryRun)
	return infer.CreateResponse[GroupVariableState]{ID: id, Output: GroupVariableState{req.Inputs.Group, s}}, err
}

func (*GroupVariable) Read(ctx context.Context, req infer.ReadRequest[GroupVariableArgs, GroupVariableState]) (infer.ReadResponse[GroupVariableArgs, GroupVariableState], error) {
	id, a, s, err := readVariable(ctx, groupVariables{client(ctx)}, "GroupVariable", req.ID, req.Inputs.VariableArgs, req.State.VariableState)
	if err != nil || id == "" {
		return infer.ReadResponse[GroupVariableArgs, GroupVariableState]{}, err
	}
	owner := ownerOf(id)
	return infer.ReadResponse[GroupVariableArgs, GroupVariableState]{ID: id,
		Inputs: GroupVariableArgs{owner, a}, State: GroupVariableState{owner, s}}, nil
}

func (*GroupVariable) Update(ctx context.Context, req infer.UpdateRequest[GroupVariableArgs, GroupVariableState]) (infer.UpdateResponse[GroupVariableState], error) {
	var api variableAPI
	if !req.DryRun {
		api = groupVariables{client(ctx)}
	}
	s, err := updateVariable(ctx, api, "GroupVariable", req.Inputs.Group, req.Inputs.VariableArgs, req.DryRun)
	return infer.UpdateResponse[GroupVariableState]{Output: GroupVariableState{req.Inputs.Group, s}}, err
}

func (*GroupVariable) Delete(ctx context.Context, req infer.DeleteRequest[GroupVariableState]) (infer.DeleteResponse, error) {
	return infer.DeleteResponse{}, deleteVariable(ctx, groupVariables{client(ctx)}, "GroupVariable", req.State.Group, req.State.VariableState)
}

// WireDependencies keeps the value secret even when the program passed it in the clear.
func (*ProjectVariable) WireDependencies(f infer.FieldSelector, _ *ProjectVariableArgs, s *ProjectVariableState) {
	f.OutputField(&s.Value).AlwaysSecret()
}

// WireDependencies keeps the value secret even when the program passed it in the clear.
func (*GroupVariable) WireDependencies(f infer.FieldSelector, _ *GroupVariableArgs, s *GroupVariableState) {
	f.OutputField(&s.Value).AlwaysSecret()
}
