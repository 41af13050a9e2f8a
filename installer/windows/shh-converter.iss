; Inno Setup 6 script for SHH Converter (Windows). Build the PyInstaller folder first:
;   pip install -c build_scripts\constraints.txt ".[build]"
;   pyinstaller --noconfirm --clean build_scripts\shh_converter.spec
;   iscc installer\windows\shh-converter.iss
; Output: installer\windows\Output\SHH-Converter-Setup-<version>.exe
;
; The version is not written here: it is read from the built executable's version
; resource, which build_scripts/version_info.py makes from shh_converter.__version__
; (the one place the version lives). /DAppVersion=X.Y.Z still overrides it.
;
; A per-user install (no admin rights needed). Settings, logs, crash reports and
; downloaded models live in %LOCALAPPDATA%\SHH Converter (shh_converter/paths.py);
; the uninstaller asks whether to delete them too (default: keep), and a silent
; uninstall deletes them only with /PURGE=1.

#define AppName "SHH Converter"
#define DistDir "..\..\dist\SHH Converter"
#define GuiExe "SHH Converter.exe"
#define CliExe "shh-converter.exe"
#ifndef AppVersion
  #define AppVersion GetStringFileInfo(DistDir + "\" + GuiExe, "ProductVersion")
#endif
#if AppVersion == ""
  #error "No version: build the PyInstaller folder first (its executable carries the version)"
#endif

[Setup]
AppId={{6F1B7C52-3A5E-4C1B-9D0E-5A7C2B8E41F3}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
VersionInfoVersion={#AppVersion}
VersionInfoProductVersion={#AppVersion}
VersionInfoDescription={#AppName} installer
AppPublisher=SHH Converter developers
AppPublisherURL=https://github.com/LWR95/ImageToWebp
AppUpdatesURL=https://github.com/LWR95/ImageToWebp/releases
DefaultDirName={localappdata}\Programs\{#AppName}
DefaultGroupName={#AppName}
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
OutputBaseFilename=SHH-Converter-Setup-{#AppVersion}
SetupIconFile=..\..\assets\icons\app.ico
UninstallDisplayIcon={app}\{#GuiExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; A running copy would keep its files locked: ask to close it.
CloseApplications=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"
Name: "sendto"; Description: "Add to the Explorer ""Send to"" menu"; GroupDescription: "{cm:AdditionalIcons}"

[Files]
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#GuiExe}"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#GuiExe}"; Tasks: desktopicon
Name: "{usersendto}\{#AppName}"; Filename: "{app}\{#GuiExe}"; Tasks: sendto

[Registry]
; "Open with > SHH Converter" for common image types (per user, removed on uninstall).
; Several files opened at once start one process each; the first window takes
; them all (shh_converter/gui/instance.py).
Root: HKCU; Subkey: "Software\Classes\Applications\{#GuiExe}\shell\open\command"; ValueType: string; ValueData: """{app}\{#GuiExe}"" ""%1"""; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\Applications\{#GuiExe}\SupportedTypes"; ValueType: string; ValueName: ".jpg"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\Applications\{#GuiExe}\SupportedTypes"; ValueType: string; ValueName: ".jpeg"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\Applications\{#GuiExe}\SupportedTypes"; ValueType: string; ValueName: ".png"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\Applications\{#GuiExe}\SupportedTypes"; ValueType: string; ValueName: ".webp"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\Applications\{#GuiExe}\SupportedTypes"; ValueType: string; ValueName: ".heic"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\Applications\{#GuiExe}\SupportedTypes"; ValueType: string; ValueName: ".tif"; ValueData: ""

[Run]
Filename: "{app}\{#GuiExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
const
  SelfTestFailed = 'The installed copy did not pass its self-test (exit code %d).' + #13#10 +
    'The program may still start, but something it needs is missing or blocked.' + #13#10 +
    'Details: run "%s" self-test in a command prompt.';

{ Run the installed CLI's self-test (codecs, the bundled model with one real
  inference, the per-user folders) and look at its exit code: 0 = all passed. }
procedure RunSelfTest();
var
  ResultCode: Integer;
  Cli: String;
begin
  Cli := ExpandConstant('{app}\{#CliExe}');
  WizardForm.StatusLabel.Caption := 'Checking the installation...';
  if not Exec(Cli, 'self-test', '', SW_HIDE, ewWaitUntilTerminated, ResultCode) then
    ResultCode := -1;
  Log(Format('self-test exit code: %d', [ResultCode]));
  if ResultCode <> 0 then
    SuppressibleMsgBox(Format(SelfTestFailed, [ResultCode, Cli]), mbError, MB_OK, IDOK);
end;

procedure CurStepChanged(CurStep: TSetupStep);
begin
  if CurStep = ssPostInstall then
    RunSelfTest();
end;

{ The per-user data folder (settings, logs, crash reports, downloaded models):
  platformdirs' user folders for "SHH Converter" on Windows. }
function UserDataDir(): String;
begin
  Result := ExpandConstant('{localappdata}\{#AppName}');
end;

function WantsPurge(): Boolean;
begin
  if UninstallSilent() then
    Result := ExpandConstant('{param:PURGE|0}') = '1'
  else
    Result := MsgBox('Also delete your SHH Converter settings, presets, logs, crash reports ' +
      'and downloaded models?' + #13#10 + #13#10 + UserDataDir(),
      mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and DirExists(UserDataDir()) and WantsPurge() then
  begin
    if DelTree(UserDataDir(), True, True, True) then
      Log('deleted ' + UserDataDir())
    else
      Log('could not delete all of ' + UserDataDir());
  end;
end;
