# Cross-compiling Parta for arm64 (Raspberry Pi 3/4/5, 64-bit) on a Debian 12 amd64 machine, with
# Debian's cross compiler (crossbuild-essential-arm64) and arm64 multiarch -dev packages installed
# next to the amd64 ones (/usr/lib/aarch64-linux-gnu). image/build-arm64.sh installs all of it.
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=image/arm64-toolchain.cmake \
#         -DPARTA_ARM64_OVERLAY=build-arm64/overlay
# PARTA_ARM64_OVERLAY: a folder where the few arm64 packages that cannot be installed next to their
# amd64 twins (not Multi-Arch: same: libvips-dev, libvips42's libopenslide0, libpoppler-glib-dev)
# are unpacked; their .pc files there point into it.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# try_compile() projects see these too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES PARTA_ARM64_OVERLAY)
if(NOT PARTA_ARM64_OVERLAY AND DEFINED ENV{PARTA_ARM64_OVERLAY})
  set(PARTA_ARM64_OVERLAY "$ENV{PARTA_ARM64_OVERLAY}")
endif()
set(_overlay_lib "")
if(PARTA_ARM64_OVERLAY)
  set(_overlay_lib ${PARTA_ARM64_OVERLAY}/usr/lib/aarch64-linux-gnu)
endif()

# Headers and libraries: the cross libc's folder and the multiarch folders under /usr. Build-time
# programs (cmake -P for embedding, pkg-config) are the host's.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Never pick an amd64 library's CMake config from /usr/lib/x86_64-linux-gnu.
set(CMAKE_IGNORE_PATH /usr/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/cmake)

# pkg-config reads only arm64 (and arch-independent) .pc files.
set(ENV{PKG_CONFIG_LIBDIR}
    "${_overlay_lib}/pkgconfig:/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
unset(ENV{PKG_CONFIG_PATH})
set(PKG_CONFIG_EXECUTABLE /usr/bin/pkg-config CACHE FILEPATH "host pkg-config")

if(_overlay_lib)
  # The overlay's libraries and what they need at link time.
  set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-rpath-link,${_overlay_lib}")
  set(CMAKE_SHARED_LINKER_FLAGS_INIT "-Wl,-rpath-link,${_overlay_lib}")
endif()

# Test programs (and GoogleTest's discovery at build time) run under qemu-user with the arm64
# multiarch loader and libc (libc6:arm64, /lib/ld-linux-aarch64.so.1), the same glibc as every
# other arm64 library here. Not `-L /usr/aarch64-linux-gnu`: that folder's loader belongs to the
# cross compiler's older libc6-arm64-cross (2.36-8 against 2.36-9+deb12u14 here), and with it the
# PDF tests (pango, cairo, poppler) spun for ever inside the loader. libvips looks for its modules
# (the PDF loader among them) under $VIPSHOME/aarch64-linux-gnu/vips-modules-8.14.
find_program(PARTA_QEMU_AARCH64 qemu-aarch64-static REQUIRED)
if(NOT EXISTS /lib/ld-linux-aarch64.so.1)
  message(FATAL_ERROR "arm64 loader missing: install libc6:arm64 (image/build-arm64.sh does)")
endif()
if(_overlay_lib)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${PARTA_QEMU_AARCH64} -E LD_LIBRARY_PATH=${_overlay_lib} -E
                                    VIPSHOME=${PARTA_ARM64_OVERLAY}/usr/lib)
else()
  set(CMAKE_CROSSCOMPILING_EMULATOR ${PARTA_QEMU_AARCH64})
endif()

# The .deb is arm64. cpack must run with DEB_HOST_ARCH=arm64 in its environment so dpkg-shlibdeps
# reads the binaries with aarch64-linux-gnu-objdump and finds their libraries' arm64 packages.
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
