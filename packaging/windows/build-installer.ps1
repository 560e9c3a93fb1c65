# Builds kith.exe (with its icon and version resource, see build.rs) and the Inno Setup installer
# target\windows\Kith-<version>-x64-setup.exe. Run from any directory in PowerShell:
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build-installer.ps1
# Needs Rust (MSVC toolchain, with the Windows SDK's rc.exe) and Inno Setup 6 (iscc.exe on PATH or
# in its default folder).
$ErrorActionPreference = 'Stop'
$repo = Resolve-Path (Join-Path $PSScriptRoot '..\..')
Set-Location $repo

# The installer expects the binary in target\release, whatever CARGO_TARGET_DIR says.
$env:CARGO_TARGET_DIR = Join-Path $repo 'target'
cargo build --release --locked
if ($LASTEXITCODE -ne 0) { throw 'cargo build failed' }

$meta = cargo metadata --format-version 1 --no-deps | ConvertFrom-Json
$version = $meta.packages[0].version

$iscc = Get-Command iscc.exe -ErrorAction SilentlyContinue
if ($iscc) { $iscc = $iscc.Source } else { $iscc = Join-Path ${env:ProgramFiles(x86)} 'Inno Setup 6\ISCC.exe' }
if (-not (Test-Path $iscc)) { throw 'Inno Setup 6 is missing: https://jrsoftware.org/isinfo.php' }
& $iscc "/DAppVersion=$version" (Join-Path $PSScriptRoot 'kith.iss')
if ($LASTEXITCODE -ne 0) { throw 'iscc failed' }
Get-Item (Join-Path $repo "target\windows\Kith-$version-x64-setup.exe")
