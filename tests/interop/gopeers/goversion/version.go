// Package version is profcol's own minimal stand-in for github.com/hashicorp/go-version (which is
// MPL-2.0, a license the interop peers do not take). go.opentelemetry.io/collector/featuregate,
// which pdata links, needs only NewVersion, String and LessThan on Major.Minor.Patch[-pre]
// versions; go.mod replaces the module with this directory.
package version

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a parsed Major.Minor.Patch[-PreRelease] version.
type Version struct {
	segments [3]int64
	pre      string
	original string
}

// NewVersion parses v (an optional leading "v", up to three numeric segments, a "-pre" suffix).
func NewVersion(v string) (*Version, error) {
	text := strings.TrimPrefix(v, "v")
	main, pre, _ := strings.Cut(text, "-")
	parts := strings.Split(main, ".")
	if len(parts) == 0 || len(parts) > 3 {
		return nil, fmt.Errorf("malformed version: %s", v)
	}
	out := &Version{pre: pre, original: v}
	for i, part := range parts {
		n, err := strconv.ParseInt(part, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("malformed version: %s", v)
		}
		out.segments[i] = n
	}
	return out, nil
}

// String is the canonical form Major.Minor.Patch[-pre].
func (v *Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.segments[0], v.segments[1], v.segments[2])
	if v.pre != "" {
		s += "-" + v.pre
	}
	return s
}

// LessThan orders by segments, then a pre-release before its release.
func (v *Version) LessThan(o *Version) bool {
	for i := range v.segments {
		if v.segments[i] != o.segments[i] {
			return v.segments[i] < o.segments[i]
		}
	}
	if v.pre == o.pre {
		return false
	}
	if v.pre == "" {
		return false
	}
	if o.pre == "" {
		return true
	}
	return v.pre < o.pre
}
