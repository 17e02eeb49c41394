; Inno Setup script for desktop-llm: a per-user installer (no administrator rights),
; Start menu entry, optional desktop icon, uninstaller. build/build.py compiles it with
;   ISCC /DAppVersion=0.1.0 /DBundleDir=build\out\bundle\desktop-llm /DOutputDir=dist
;        /DOutputName=desktop-llm-0.1.0-windows-x64-cpu-setup /DIconFile=resources\icons\desktop-llm.ico
;        build\windows\desktop-llm.iss
; Signing: add SignTool=... here (and sign the bundle's .exe files first) once a
; code-signing certificate exists; unsigned installers trigger SmartScreen warnings.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\out\bundle\desktop-llm"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#ifndef OutputName
  #define OutputName "desktop-llm-setup"
#endif
#ifndef IconFile
  #define IconFile "..\..\resources\icons\desktop-llm.ico"
#endif

[Setup]
; Never change AppId: upgrades and the uninstaller find the installed app by it.
AppId={{6F0B8C1E-6C55-4B7B-9A39-2F1D4C1E7D10}
AppName=desktop-llm
AppVersion={#AppVersion}
AppPublisher=desktop-llm developers
AppComments=Chat with open language models offline on your own computer
DefaultDirName={localappdata}\Programs\desktop-llm
DefaultGroupName=desktop-llm
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename={#OutputName}
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\desktop-llm.exe
UninstallDisplayName=desktop-llm
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; The app may be running (and its engine workers with it) during an upgrade.
CloseApplications=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\desktop-llm"; Filename: "{app}\desktop-llm.exe"
Name: "{group}\Uninstall desktop-llm"; Filename: "{uninstallexe}"
Name: "{userdesktop}\desktop-llm"; Filename: "{app}\desktop-llm.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\desktop-llm.exe"; Description: "{cm:LaunchProgram,desktop-llm}"; Flags: nowait postinstall skipifsilent

; Chats, models and settings live in the user's data folders, not under {app}: the
; uninstaller leaves them, so a reinstall finds them again.
