; Inno Setup script for SHH Converter (Windows). Build the PyInstaller folder first:
;   pyinstaller --noconfirm --clean build_scripts\shh_converter.spec
;   iscc /DAppVersion=0.1.0 installer\windows\shh-converter.iss
; Output: installer\windows\Output\SHH-Converter-Setup-<version>.exe
; A per-user install (no admin rights needed); user data lives in %LOCALAPPDATA%\SHH Converter
; and is left in place on uninstall unless the user ticks the option.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "SHH Converter"
#define DistDir "..\..\dist\SHH Converter"

[Setup]
AppId={{6F1B7C52-3A5E-4C1B-9D0E-5A7C2B8E41F3}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=SHH Converter developers
DefaultDirName={localappdata}\Programs\{#AppName}
DefaultGroupName={#AppName}
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
OutputBaseFilename=SHH-Converter-Setup-{#AppVersion}
SetupIconFile=..\..\assets\icons\app.ico
UninstallDisplayIcon={app}\SHH Converter.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesInstallIn64BitMode=x64compatible

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"
Name: "sendto"; Description: "Add to the Explorer ""Send to"" menu"; GroupDescription: "{cm:AdditionalIcons}"

[Files]
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\SHH Converter.exe"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\SHH Converter.exe"; Tasks: desktopicon
Name: "{usersendto}\{#AppName}"; Filename: "{app}\SHH Converter.exe"; Tasks: sendto

[Registry]
; "Open with > SHH Converter" for common image types (per user, removed on uninstall).
Root: HKCU; Subkey: "Software\Classes\Applications\SHH Converter.exe\shell\open\command"; ValueType: string; ValueData: """{app}\SHH Converter.exe"" ""%1"""; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\Applications\SHH Converter.exe\SupportedTypes"; ValueType: string; ValueName: ".jpg"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\Applications\SHH Converter.exe\SupportedTypes"; ValueType: string; ValueName: ".jpeg"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\Applications\SHH Converter.exe\SupportedTypes"; ValueType: string; ValueName: ".png"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\Applications\SHH Converter.exe\SupportedTypes"; ValueType: string; ValueName: ".webp"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\Applications\SHH Converter.exe\SupportedTypes"; ValueType: string; ValueName: ".heic"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\Applications\SHH Converter.exe\SupportedTypes"; ValueType: string; ValueName: ".tif"; ValueData: ""

[Run]
; Smoke-test the installed copy silently, then offer to launch it.
Filename: "{app}\shh-converter.exe"; Parameters: "self-test"; Flags: runhidden waituntilterminated; StatusMsg: "Checking the installation..."
Filename: "{app}\SHH Converter.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
