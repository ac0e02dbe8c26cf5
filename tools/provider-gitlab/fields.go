package provider

// keep is how Read reports an input: a property the program set follows what GitLab has now (so a
// change made in the UI shows up as a diff), an unset one stays unset unless GitLab's value is no
// longer the default (so a refresh without drift leaves the inputs as the program wrote them).
func keep[T comparable](prev *T, server, def T) *T {
	if prev != nil || server != def {
		v := server
		return &v
	}
	return nil
}

// keepSlice is keep for lists (an unset list stays unset while GitLab's list is empty).
func keepSlice[T any](prev []T, server []T) []T {
	if prev != nil || len(server) > 0 {
		if server == nil {
			return []T{}
		}
		return server
	}
	return nil
}

func orDefault[T any](v *T, def T) T {
	if v == nil {
		return def
	}
	return *v
}

// ownerOf is the project or group part of an id "<owner>:…".
func ownerOf(id string) string {
	for i := 0; i < len(id); i++ {
		if id[i] == ':' {
			return id[:i]
		}
	}
	return id
}
