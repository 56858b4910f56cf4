package storage

import "testing"

func TestPlatformChoice(t *testing.T) {
	tests := []struct {
		name              string
		in                RegistryOptions
		os, arch, variant string
		wantErr           bool
	}{
		{name: "none", in: RegistryOptions{}},
		{name: "separate flags", in: RegistryOptions{OS: "linux", Arch: "arm64", Variant: "v8"}, os: "linux", arch: "arm64", variant: "v8"},
		{name: "os/arch", in: RegistryOptions{Platform: "linux/amd64"}, os: "linux", arch: "amd64"},
		{name: "os/arch/variant", in: RegistryOptions{Platform: "linux/arm/v7"}, os: "linux", arch: "arm", variant: "v7"},
		{name: "platform wins", in: RegistryOptions{OS: "windows", Arch: "386", Variant: "x", Platform: "linux/amd64"}, os: "linux", arch: "amd64"},
		{name: "one part", in: RegistryOptions{Platform: "linux"}, wantErr: true},
		{name: "four parts", in: RegistryOptions{Platform: "linux/arm/v7/x"}, wantErr: true},
		{name: "empty part", in: RegistryOptions{Platform: "linux/"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os, arch, variant, err := PlatformChoice(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if os != tt.os || arch != tt.arch || variant != tt.variant {
				t.Errorf("got %q %q %q, want %q %q %q", os, arch, variant, tt.os, tt.arch, tt.variant)
			}
		})
	}
}
