# The build runner's uid/gid layout, run inside the tools image at build time (the Containerfile
# and the local Debian build share this file).
#
# uid/gid 1000 "build" is the general runner's job user (its pods run as 1000, restricted), and its
# subordinate ranges let rootless Buildah map an image's owners there. The build runner's pods run
# as uid 0 of their own user namespace and map 1-65535 the same way, so images build alike on both.
groupadd --gid 1000 build
useradd --uid 1000 --gid 1000 --create-home --home-dir /home/build --shell /bin/sh build
printf 'build:1:999\nbuild:1001:64535\n' >/etc/subuid
printf 'build:1:999\nbuild:1001:64535\n' >/etc/subgid
