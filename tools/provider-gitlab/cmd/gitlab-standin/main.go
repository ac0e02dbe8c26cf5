// Command gitlab-standin serves the in-memory GitLab REST API v4 stand-in (package standin) on
// 127.0.0.1 for the engine tests. It prints "listening <url>" once ready and serves until killed.
//
//	gitlab-standin -port 0 -tier free -user 1:root:TOKEN:admin -project platform/app -group platform
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"

	"cicd-platform/tools/provider-gitlab/standin"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	var users, projects, groups list
	port := flag.Int("port", 0, "port on 127.0.0.1 (0 = any free port)")
	tier := flag.String("tier", "ultimate", "free, premium or ultimate")
	flag.Var(&users, "user", "id:username:token[:admin] (repeatable)")
	flag.Var(&projects, "project", "project full path (repeatable; ids 1, 2, …)")
	flag.Var(&groups, "group", "group full path (repeatable; ids 101, 102, …)")
	flag.Parse()
	opts := standin.Options{Tier: standin.Tier(*tier), Projects: projects, Groups: groups}
	for _, u := range users {
		f := strings.Split(u, ":")
		if len(f) < 3 {
			fmt.Fprintf(os.Stderr, "gitlab-standin: -user %q is not id:username:token[:admin]\n", u)
			os.Exit(2)
		}
		id, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			fmt.Fprintf(os.Stderr, "gitlab-standin: -user %q: id is not a number\n", u)
			os.Exit(2)
		}
		opts.Users = append(opts.Users, standin.User{ID: id, Username: f[1], Token: f[2], Admin: len(f) > 3 && f[3] == "admin"})
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fmt.Fprintf(os.Stderr, "gitlab-standin: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("listening http://%s\n", ln.Addr())
	if err := http.Serve(ln, standin.New(opts)); err != nil {
		fmt.Fprintf(os.Stderr, "gitlab-standin: %v\n", err)
		os.Exit(1)
	}
}
