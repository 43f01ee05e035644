def update_hanlp():
    if update_hanlp_jar():
        print('HanLP jar  已被升级到最新版本 {}'.format(HANLP_JAR_VERSION))
    else:
        print('HanLP jar  已经是最新版本 {}'.format(HANLP_JAR_VERSION))

    root = read_config()
    if root == STATIC_ROOT:
        if install_hanlp_data(HANLP_JAR_VERSION):
            print('HanLP data 已被升级到最新版本 {}'.format(HANLP_DATA_VERSION))
        else:
            print('HanLP data 已经是最新版本 {}'.format(HANLP_DATA_VERSION))


def update_hanlp_jar():
    if hanlp_releases()[0][0] in hanlp_installed_jar_versions():
        return False
    install_hanlp_jar()
    uninstall_hanlp_jar()
    return True
