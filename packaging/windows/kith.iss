; Inno Setup 6 script for Kith's Windows installer (Kith-<version>-x64-setup.exe).
; Built by build-installer.ps1, which passes the version from Cargo.toml:
;   iscc /DAppVersion=0.1.0 packaging\windows\kith.iss
; Paths are relative to this file. The models go next to kith.exe, one of the places Kith looks.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z kith.iss
#endif

[Setup]
; The AppId identifies Kith to Windows' uninstaller across versions: never change it.
AppId={{56DBE787-C84C-459D-9E9C-5ED5D8C76F58}
AppName=Kith
AppVersion={#AppVersion}
AppVerName=Kith {#AppVersion}
AppPublisher=The Kith developers
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\Kith
DefaultGroupName=Kith
DisableProgramGroupPage=yes
; Installs for the current user without administrator rights; the dialog offers all users too.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
SetupIconFile=..\..\assets\icon\kith.ico
UninstallDisplayIcon={app}\kith.exe
OutputDir=..\..\target\windows
OutputBaseFilename=Kith-{#AppVersion}-x64-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\..\target\release\kith.exe"; DestDir: "{app}"; Flags: ignoreversion
Source: "..\..\models\*.safetensors"; DestDir: "{app}\models"; Flags: ignoreversion
Source: "..\..\models\*.json"; DestDir: "{app}\models"; Flags: ignoreversion
Source: "..\..\README.md"; DestDir: "{app}"; Flags: ignoreversion

[Icons]
Name: "{autoprograms}\Kith"; Filename: "{app}\kith.exe"
Name: "{autodesktop}\Kith"; Filename: "{app}\kith.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\kith.exe"; Description: "{cm:LaunchProgram,Kith}"; Flags: nowait postinstall skipifsilent
